-- What each version holds beside its texts, so that two versions can be compared on it too
-- (`tribune statement diff`): its tags and mentions (JSON, as in `statements`), its image and
-- the image's description. Until now only the current version's were kept, in `statements`;
-- they are copied to that version here, and earlier versions keep NULL: not recorded.
ALTER TABLE statement_versions ADD COLUMN tags TEXT;
ALTER TABLE statement_versions ADD COLUMN image_hash TEXT;
ALTER TABLE statement_versions ADD COLUMN image_alt TEXT;
ALTER TABLE statement_versions ADD COLUMN mentions TEXT;
UPDATE statement_versions SET
    tags = (SELECT s.tags FROM statements s WHERE s.slug = statement_versions.slug),
    image_hash = (SELECT s.image_hash FROM statements s WHERE s.slug = statement_versions.slug),
    image_alt = (SELECT s.image_alt FROM statements s WHERE s.slug = statement_versions.slug),
    mentions = (SELECT s.mentions FROM statements s WHERE s.slug = statement_versions.slug)
WHERE version = (SELECT s.current_version FROM statements s
                 WHERE s.slug = statement_versions.slug);
