"""``python -m ethoforge``: the command line."""

from ethoforge.cli import app

if __name__ == "__main__":
    app(prog_name="ethoforge")
