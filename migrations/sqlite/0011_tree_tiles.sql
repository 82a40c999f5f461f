-- The log's Merkle tree (docs/merkle.md): the hashes of its complete subtrees as C2SP
-- tlog-tiles of height 8, from tile level 1 up (tree levels 8, 16, 24, …). Level 0, the leaf
-- hashes, is the events' own chain hashes hashed as leaves, so it is not stored twice. A tile
-- only grows: its width rises to 256 as subtrees complete, and what it held stays.
CREATE TABLE tree_tiles (
    level  INTEGER NOT NULL CHECK (level >= 1),
    idx    INTEGER NOT NULL CHECK (idx >= 0),
    width  INTEGER NOT NULL CHECK (width BETWEEN 1 AND 256),
    hashes BLOB    NOT NULL CHECK (length(hashes) = 32 * width),
    PRIMARY KEY (level, idx)
);

CREATE TRIGGER tree_tiles_only_grow BEFORE UPDATE ON tree_tiles
    WHEN NEW.level != OLD.level OR NEW.idx != OLD.idx OR NEW.width < OLD.width
        OR substr(NEW.hashes, 1, length(OLD.hashes)) != OLD.hashes
BEGIN
    SELECT RAISE(ABORT, 'tree tiles only grow: what a tile held stays');
END;
CREATE TRIGGER tree_tiles_no_delete BEFORE DELETE ON tree_tiles
BEGIN
    SELECT RAISE(ABORT, 'the table tree_tiles is append-only: DELETE is not allowed');
END;
