-- Session-scoped search. Every full-text row also carries a token naming its item's session
-- (`scope`, see SearchIndexer.scopeToken), so a search within one session intersects that
-- session's postings instead of matching the whole store and filtering the rows afterwards.
-- Queries restrict the user's expression to `text`; ranking gives `scope` no weight.
DROP TABLE item_fts;
CREATE VIRTUAL TABLE item_fts USING fts5 (text, scope, content = '', tokenize = 'unicode61 remove_diacritics 2');
DELETE FROM ledger_meta WHERE key = 'fts_indexed_through';
