# Writes Fixtures/sdk-advanced-session.sql's database with the real SDK (Fixtures/README.md).
import asyncio, sys
from agents.extensions.memory import AdvancedSQLiteSession
from agents.usage import Usage
async def main(path):
    s = AdvancedSQLiteSession(session_id="trip", db_path=path, create_tables=True)
    await s.add_items([{"role": "system", "content": "You plan trips."},
        {"role": "user", "content": "Plan a weekend in Lisbon"},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Day 1: Alfama"}]},
        {"role": "user", "content": "Make it cheaper"},
        {"type": "function_call", "name": "search_hostels", "arguments": "{\"city\":\"Lisbon\"}", "call_id": "c1"},
        {"type": "function_call_output", "call_id": "c1", "output": "3 hostels"},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hostel plan"}]},
        {"role": "user", "content": "Thanks"}])
    await s.create_branch_from_turn(2, "budget-retry")
    await s.add_items([{"role": "user", "content": "Make it cheaper, no hostels"},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Guesthouse plan"}]}])
    await s.create_branch_from_turn(2, "retry-of-retry")
    await s.add_items([{"role": "user", "content": "Make it cheaper, camping"}])
    await s.switch_to_branch("main")
    o = AdvancedSQLiteSession(session_id="other", db_path=path, create_tables=False)
    await o.add_items([{"role": "user", "content": "hi \u00e9"}, {"role": "assistant", "content": "hello"}])
    for b in ["main", "budget-retry", "retry-of-retry"]:
        await s.switch_to_branch(b)
        print(b, [i.get("content") if isinstance(i.get("content"), str) else i.get("type") for i in await s.get_items()])
    s.close(); o.close()
asyncio.run(main(sys.argv[1]))
