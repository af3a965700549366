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

CLINIC_TOML = """[clinic]
name = "Test Street Clinic"
phone = "204-555-0100"
timezone = "America/Winnipeg"
"""


def write_clinic_details(home) -> None:  # noqa: ANN001
    """A test clinic's own clinic.toml, as `init` writes one: a real clinic always has
    a name, a phone and a time zone (the letters and exports name them)."""
    from pathlib import Path

    Path(home).mkdir(parents=True, exist_ok=True)
    (Path(home) / "clinic.toml").write_text(CLINIC_TOML, encoding="utf-8")
