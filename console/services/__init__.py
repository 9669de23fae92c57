"""The console's logic, callable without Flask: views, API and CLI all call it.

Every function takes the `Session` it works in and, where it changes state,
the `Actor` doing it; the caller commits (one transaction per unit of work).
"""
