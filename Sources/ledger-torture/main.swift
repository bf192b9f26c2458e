// A child process for the crash tests (Tests/AgentLedgerTests/Reliability*): see RELIABILITY.md.
print("ledger-torture: placeholder")
