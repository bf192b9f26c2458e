#!/usr/bin/env bash
# The demo behind `make demo`: records the sample conversations from Fixtures/ into a fresh
# store and shows what AgentLedger keeps: items, a pop, a clear, branches, search, the audit
# trail of everything that happened, and a verification of the log.
set -euo pipefail
bin="$1"
store="$2"
here="$(cd "$(dirname "$0")/.." && pwd)"
rm -rf "$store"
export AGENTLEDGER_STORE="$store"

step() { printf '\n\033[1m$ agentledger %s\033[0m\n' "$*"; "$bin" "$@"; }

echo "AgentLedger demo: a fresh store at $store"
for file in "$here"/Fixtures/conversations/*.jsonl; do
    session="$(basename "$file" .jsonl)"
    printf 'recording %-28s ' "$session"
    "$bin" add "$session" --file "$file"
done

step sessions
step items weather-agent --limit 3
step turns weather-agent
step tools research-agent-tools
step pop weather-agent
step branch create weather-agent --from-turn 2 --name try-porto-first
step items weather-agent
step branch list weather-agent
step search "fsync"
step clear support-agent-multilingual
step items support-agent-multilingual
step items support-agent-multilingual --as-of-seq 3
step log --session weather-agent
step log --session support-agent-multilingual --kind session_cleared --json
step stats
step verify
echo
echo "The store is still there: try '$bin --help' with AGENTLEDGER_STORE=$store"
