from console.cli import main

main(prog_name="ops")
