from clinic_inbox.cli import main

raise SystemExit(main())
