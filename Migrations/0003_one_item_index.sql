-- One index over the item rows instead of two. `item_live` held the live rows of
-- `item_position` again, so every add updated two indexes of the same key; with it gone an add
-- writes one index page less per session and group commit (BENCHMARKS.md).
--
-- Reads of the current state now walk `item_position`, which also holds removed rows. To keep
-- them proportional to the live rows and not to the whole history, each branch records the
-- sequence number of its last clear (or delete): that event removed every row of the branch,
-- and every row added since has a higher item_seq, so current-state queries start after it
-- (`item_seq > cleared_seq`). The rows a pop removed stay in the walk; there are never more of
-- them than pops since the last clear.
DROP INDEX item_live;
ALTER TABLE branch ADD COLUMN cleared_seq INTEGER NOT NULL DEFAULT 0;
