-- How each statement federates (docs/interop.md §10): 'excerpt', its opening and a link to its
-- page, or 'full', the whole text. Statements published before the choice existed went out
-- whole, and stay so until an edit says otherwise.
ALTER TABLE statements ADD COLUMN federate TEXT NOT NULL DEFAULT 'full'
    CHECK (federate IN ('full', 'excerpt'));
