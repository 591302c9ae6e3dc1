-- A received activity is known by its actor and its id together: keyed by id alone, an
-- actor could send an activity under the id another actor will use later (an Undo's id is
-- often predictable) and so have that actor's real activity ignored as a repeat.
ALTER TABLE received_activities DROP CONSTRAINT received_activities_pkey;
ALTER TABLE received_activities ADD PRIMARY KEY (actor_id, id);
