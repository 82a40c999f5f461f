-- The log's Merkle tree (docs/merkle.md): the hashes of its complete subtrees as C2SP
-- tlog-tiles of height 8, from tile level 1 up (tree levels 8, 16, 24, …). Level 0, the leaf
-- hashes, is the events' own chain hashes hashed as leaves, so it is not stored twice. A tile
-- only grows: its width rises to 256 as subtrees complete, and what it held stays.
CREATE TABLE tree_tiles (
    level  integer NOT NULL CHECK (level >= 1),
    idx    bigint  NOT NULL CHECK (idx >= 0),
    width  integer NOT NULL CHECK (width BETWEEN 1 AND 256),
    hashes bytea   NOT NULL CHECK (octet_length(hashes) = 32 * width),
    PRIMARY KEY (level, idx)
);

CREATE FUNCTION jejak_tile_only_grows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.level <> OLD.level OR NEW.idx <> OLD.idx OR NEW.width < OLD.width
        OR substring(NEW.hashes FROM 1 FOR octet_length(OLD.hashes)) <> OLD.hashes THEN
        RAISE EXCEPTION 'tree tiles only grow: what a tile held stays'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER tree_tiles_only_grow BEFORE UPDATE ON tree_tiles
    FOR EACH ROW EXECUTE FUNCTION jejak_tile_only_grows();
CREATE TRIGGER tree_tiles_no_delete BEFORE DELETE ON tree_tiles
    FOR EACH ROW EXECUTE FUNCTION jejak_refuse_change();
CREATE TRIGGER tree_tiles_no_truncate BEFORE TRUNCATE ON tree_tiles
    FOR EACH STATEMENT EXECUTE FUNCTION jejak_refuse_change();

REVOKE DELETE, TRUNCATE ON tree_tiles FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON tree_tiles TO jejak_app;
GRANT SELECT ON tree_tiles TO jejak_reader;
