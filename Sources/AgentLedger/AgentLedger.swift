// AgentLedger: an event-sourced conversation memory for AI agents.
// The public entry point is `Ledger` (Ledger.swift); see README.md and FORMAT.md.
