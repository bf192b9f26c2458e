-- Rows removed by pops no longer lengthen current-state walks. Each item row records the live
-- row before it on its branch when it was added (prev_seq, prev_index; NULL for the first),
-- and each branch its last live row (last_seq, last_index; NULL when it has none). A pop
-- removes the last live row, so the row before it is still live and becomes the branch's last
-- in one step; reads of the current state walk `item_position` down from the last live row,
-- so they never pass the rows popped after it, and a pop never searches for its row.
ALTER TABLE item ADD COLUMN prev_seq INTEGER;
ALTER TABLE item ADD COLUMN prev_index INTEGER;
ALTER TABLE branch ADD COLUMN last_seq INTEGER;
ALTER TABLE branch ADD COLUMN last_index INTEGER;
