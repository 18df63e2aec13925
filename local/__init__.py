"""Developer tooling: the local runner (`make run`) and what it shares with the tests. Never deployed."""
