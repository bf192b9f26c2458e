-- An OpenAI Agents SDK SQLiteSession database (the schema of agents.memory.SQLiteSession),
-- for `agentledger import-sdk-sqlite`. Build it with: sqlite3 sdk.db ".read Fixtures/sdk-sqlite-session.sql"
CREATE TABLE agent_sessions (
    session_id TEXT PRIMARY KEY,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE agent_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    message_data TEXT NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (session_id) REFERENCES agent_sessions (session_id) ON DELETE CASCADE
);
CREATE INDEX idx_agent_messages_session_id ON agent_messages (session_id, created_at);
INSERT INTO agent_sessions (session_id, created_at) VALUES ('user_123', '2026-01-02 10:00:00');
INSERT INTO agent_sessions (session_id, created_at) VALUES ('empty_then_two', '2026-01-03 09:00:00');
INSERT INTO agent_messages (session_id, message_data) VALUES ('user_123', '{"role": "user", "content": "What city is the Golden Gate Bridge in?"}');
INSERT INTO agent_messages (session_id, message_data) VALUES ('empty_then_two', '{"role": "user", "content": "hello"}');
INSERT INTO agent_messages (session_id, message_data) VALUES ('user_123', '{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "San Francisco"}]}');
INSERT INTO agent_messages (session_id, message_data) VALUES ('user_123', '{"role": "user", "content": "What state is it in? \u00e9"}');
INSERT INTO agent_messages (session_id, message_data) VALUES ('empty_then_two', '{"role": "assistant", "content": "hi"}');
