-- AgentLedger read model, version 1.
-- Derived from the log: every row can be rebuilt by replaying it. History is kept in the
-- rows (the sequence number that added each row and the one that removed it), so "as of
-- sequence S" is an indexed query: added_seq <= S AND (removed_seq IS NULL OR removed_seq > S).

-- Projection checkpoint and schema identity (key/value).
CREATE TABLE ledger_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value ANY
) STRICT;

-- One row per session ever written.
CREATE TABLE session (
    id             TEXT PRIMARY KEY NOT NULL,
    current_branch TEXT NOT NULL,
    created_seq    INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,   -- microseconds since 1970
    last_seq       INTEGER NOT NULL,
    last_at        INTEGER NOT NULL
) STRICT;

-- Every change of a session's current branch, for "current branch as of S".
CREATE TABLE session_head (
    session        TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    current_branch TEXT NOT NULL,
    PRIMARY KEY (session, seq)
) STRICT, WITHOUT ROWID;

-- Branches, including deleted ones (their names stay reserved).
CREATE TABLE branch (
    session     TEXT NOT NULL,
    name        TEXT NOT NULL,
    ordinal     INTEGER NOT NULL,      -- creation order within the session
    parent      TEXT,                  -- the branch it was created from
    from_turn   INTEGER,               -- the user turn it was created from
    created_seq INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    deleted_seq INTEGER,
    turn_count  INTEGER NOT NULL DEFAULT 0,  -- live user turns now
    PRIMARY KEY (session, name)
) STRICT, WITHOUT ROWID;

-- Items, one row per (branch, item). A branch created from turn N copies the rows of the turns
-- before N (added_seq = the branch event); item_seq/item_index keep the original position.
CREATE TABLE item (
    id          INTEGER PRIMARY KEY,
    session     TEXT NOT NULL,
    branch      TEXT NOT NULL,
    item_seq    INTEGER NOT NULL,      -- the event that first added the item
    item_index  INTEGER NOT NULL,      -- its index in that event
    turn        INTEGER NOT NULL,
    is_user     INTEGER NOT NULL,
    item_type   TEXT NOT NULL,
    tool_name   TEXT,
    is_tool_call INTEGER NOT NULL,     -- 1 call, 2 tool_search_output, 0 other
    added_seq   INTEGER NOT NULL,      -- the event that put the row on this branch
    added_at    INTEGER NOT NULL,      -- when the item was first added (microseconds)
    removed_seq INTEGER,               -- pop, clear or branch delete
    json        TEXT NOT NULL
) STRICT;

CREATE INDEX item_live ON item (session, branch, item_seq, item_index) WHERE removed_seq IS NULL;
CREATE INDEX item_position ON item (session, branch, item_seq, item_index);

-- Token usage per turn; the last record of a turn wins (earlier ones get removed_seq).
CREATE TABLE usage (
    id            INTEGER PRIMARY KEY,
    session       TEXT NOT NULL,
    branch        TEXT NOT NULL,
    turn          INTEGER NOT NULL,
    requests      INTEGER NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    total_tokens  INTEGER NOT NULL,
    details       TEXT,
    recorded_seq  INTEGER NOT NULL,
    recorded_at   INTEGER NOT NULL,
    removed_seq   INTEGER
) STRICT;

CREATE INDEX usage_turn ON usage (session, branch, turn, recorded_seq);

-- Full-text search over the human text of each item row (contentless; rowid = item.id).
CREATE VIRTUAL TABLE item_fts USING fts5 (text, content = '', tokenize = 'unicode61 remove_diacritics 2');

-- The last sequence number at each event timestamp, to resolve "as of an instant".
CREATE TABLE event_time (
    at  INTEGER PRIMARY KEY,   -- microseconds since 1970
    seq INTEGER NOT NULL
) STRICT;
