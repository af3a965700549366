"""What `clinic-inbox init` needs to hear about a new (test) clinic: nothing is taken
from the demo, so every test that sets one up names it."""

INIT_DETAILS = (
    "--name",
    "Test Street Clinic",
    "--phone",
    "204-555-0100",
    "--timezone",
    "America/Winnipeg",
    "--emergency-number",
    "911",
    "--crisis-line",
    "9-8-8",
)
