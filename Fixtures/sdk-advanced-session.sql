PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE agent_sessions (
                session_id TEXT PRIMARY KEY,
                created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
                updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
            );
INSERT INTO agent_sessions VALUES('trip','2026-11-28 10:31:49','2026-11-28 10:31:49');
INSERT INTO agent_sessions VALUES('other','2026-11-28 10:31:49','2026-11-28 10:31:49');
CREATE TABLE agent_messages (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                session_id TEXT NOT NULL,
                message_data TEXT NOT NULL,
                created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
                FOREIGN KEY (session_id) REFERENCES agent_sessions (session_id)
                    ON DELETE CASCADE
            );
INSERT INTO agent_messages VALUES(1,'trip','{"role": "system", "content": "You plan trips."}','2026-11-28 10:31:49');
INSERT INTO agent_messages VALUES(2,'trip','{"role": "user", "content": "Plan a weekend in Lisbon"}','2026-11-28 10:31:49');
INSERT INTO agent_messages VALUES(3,'trip','{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Day 1: Alfama"}]}','2026-11-28 10:31:49');
INSERT INTO agent_messages VALUES(4,'trip','{"role": "user", "content": "Make it cheaper"}','2026-11-28 10:31:49');
INSERT INTO agent_messages VALUES(5,'trip','{"type": "function_call", "name": "search_hostels", "arguments": "{\"city\":\"Lisbon\"}", "call_id": "c1"}','2026-11-28 10:31:49');
INSERT INTO agent_messages VALUES(6,'trip','{"type": "function_call_output", "call_id": "c1", "output": "3 hostels"}','2026-11-28 10:31:49');
INSERT INTO agent_messages VALUES(7,'trip','{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hostel plan"}]}','2026-11-28 10:31:49');
INSERT INTO agent_messages VALUES(8,'trip','{"role": "user", "content": "Thanks"}','2026-11-28 10:31:49');
INSERT INTO agent_messages VALUES(9,'trip','{"role": "user", "content": "Make it cheaper, no hostels"}','2026-11-28 10:31:49');
INSERT INTO agent_messages VALUES(10,'trip','{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Guesthouse plan"}]}','2026-11-28 10:31:49');
INSERT INTO agent_messages VALUES(11,'trip','{"role": "user", "content": "Make it cheaper, camping"}','2026-11-28 10:31:49');
INSERT INTO agent_messages VALUES(12,'other','{"role": "user", "content": "hi \u00e9"}','2026-11-28 10:31:49');
INSERT INTO agent_messages VALUES(13,'other','{"role": "assistant", "content": "hello"}','2026-11-28 10:31:49');
CREATE TABLE message_structure (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                session_id TEXT NOT NULL,
                message_id INTEGER NOT NULL,
                branch_id TEXT NOT NULL DEFAULT 'main',
                message_type TEXT NOT NULL,
                sequence_number INTEGER NOT NULL,
                user_turn_number INTEGER,
                branch_turn_number INTEGER,
                tool_name TEXT,
                created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
                FOREIGN KEY (session_id)
                    REFERENCES agent_sessions(session_id) ON DELETE CASCADE,
                FOREIGN KEY (message_id)
                    REFERENCES agent_messages(id) ON DELETE CASCADE
            );
INSERT INTO message_structure VALUES(1,'trip',1,'main','other',1,0,0,NULL,'2026-11-28 10:31:49');
INSERT INTO message_structure VALUES(2,'trip',2,'main','user',2,1,1,NULL,'2026-11-28 10:31:49');
INSERT INTO message_structure VALUES(3,'trip',3,'main','assistant',3,1,1,NULL,'2026-11-28 10:31:49');
INSERT INTO message_structure VALUES(4,'trip',4,'main','user',4,2,2,NULL,'2026-11-28 10:31:49');
INSERT INTO message_structure VALUES(5,'trip',5,'main','function_call',5,2,2,'search_hostels','2026-11-28 10:31:49');
INSERT INTO message_structure VALUES(6,'trip',6,'main','function_call_output',6,2,2,NULL,'2026-11-28 10:31:49');
INSERT INTO message_structure VALUES(7,'trip',7,'main','assistant',7,2,2,NULL,'2026-11-28 10:31:49');
INSERT INTO message_structure VALUES(8,'trip',8,'main','user',8,3,3,NULL,'2026-11-28 10:31:49');
INSERT INTO message_structure VALUES(9,'trip',1,'budget-retry','other',9,0,0,NULL,'2026-11-28 10:31:49');
INSERT INTO message_structure VALUES(10,'trip',2,'budget-retry','user',10,1,1,NULL,'2026-11-28 10:31:49');
INSERT INTO message_structure VALUES(11,'trip',3,'budget-retry','assistant',11,1,1,NULL,'2026-11-28 10:31:49');
INSERT INTO message_structure VALUES(12,'trip',9,'budget-retry','user',12,2,2,NULL,'2026-11-28 10:31:49');
INSERT INTO message_structure VALUES(13,'trip',10,'budget-retry','assistant',13,2,2,NULL,'2026-11-28 10:31:49');
INSERT INTO message_structure VALUES(14,'trip',1,'retry-of-retry','other',14,0,0,NULL,'2026-11-28 10:31:49');
INSERT INTO message_structure VALUES(15,'trip',2,'retry-of-retry','user',15,1,1,NULL,'2026-11-28 10:31:49');
INSERT INTO message_structure VALUES(16,'trip',3,'retry-of-retry','assistant',16,1,1,NULL,'2026-11-28 10:31:49');
INSERT INTO message_structure VALUES(17,'trip',11,'retry-of-retry','user',17,2,2,NULL,'2026-11-28 10:31:49');
INSERT INTO message_structure VALUES(18,'other',12,'main','user',1,1,1,NULL,'2026-11-28 10:31:49');
INSERT INTO message_structure VALUES(19,'other',13,'main','assistant',2,1,1,NULL,'2026-11-28 10:31:49');
CREATE TABLE turn_usage (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                session_id TEXT NOT NULL,
                branch_id TEXT NOT NULL DEFAULT 'main',
                user_turn_number INTEGER NOT NULL,
                requests INTEGER DEFAULT 0,
                input_tokens INTEGER DEFAULT 0,
                output_tokens INTEGER DEFAULT 0,
                total_tokens INTEGER DEFAULT 0,
                input_tokens_details JSON,
                output_tokens_details JSON,
                created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
                FOREIGN KEY (session_id)
                    REFERENCES agent_sessions(session_id) ON DELETE CASCADE,
                UNIQUE(session_id, branch_id, user_turn_number)
            );
CREATE TABLE branch_reservations (
                session_id TEXT NOT NULL,
                branch_id TEXT NOT NULL,
                PRIMARY KEY (session_id, branch_id)
            );
INSERT INTO branch_reservations VALUES('trip','main');
INSERT INTO branch_reservations VALUES('trip','budget-retry');
INSERT INTO branch_reservations VALUES('trip','retry-of-retry');
CREATE TABLE session_clear_generations (
                session_id TEXT PRIMARY KEY,
                generation INTEGER NOT NULL DEFAULT 0
            );
INSERT INTO session_clear_generations VALUES('trip',0);
INSERT INTO session_clear_generations VALUES('other',0);
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('agent_messages',13);
INSERT INTO sqlite_sequence VALUES('message_structure',19);
CREATE INDEX idx_agent_messages_session_id
            ON agent_messages (session_id, id)
        ;
CREATE INDEX idx_structure_session_seq
            ON message_structure(session_id, sequence_number)
        ;
CREATE INDEX idx_structure_branch
            ON message_structure(session_id, branch_id)
        ;
CREATE INDEX idx_structure_turn
            ON message_structure(session_id, branch_id, user_turn_number)
        ;
CREATE INDEX idx_structure_branch_seq
            ON message_structure(session_id, branch_id, sequence_number)
        ;
CREATE INDEX idx_turn_usage_session_turn
            ON turn_usage(session_id, branch_id, user_turn_number)
        ;
COMMIT;
