from chaosrun.cli.main import entry

entry()
