from djvet.cli import run

run()
