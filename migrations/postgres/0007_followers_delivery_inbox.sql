-- Where each follower's deliveries go (its shared inbox, else its own inbox) and that
-- inbox's host, copied from remote_actors, so that a fan-out reads one covering index in
-- order instead of joining every follower to its actor and sorting (BENCHMARKS.md, B3).
-- Triggers keep the copy right whatever writes the rows (the inbox, the CLI, an import).
ALTER TABLE followers ADD COLUMN delivery_inbox TEXT NOT NULL DEFAULT '';
ALTER TABLE followers ADD COLUMN delivery_host TEXT NOT NULL DEFAULT '';

UPDATE followers f SET delivery_inbox = COALESCE(a.shared_inbox, a.inbox), delivery_host = a.host
FROM remote_actors a WHERE a.id = f.actor_id;

CREATE INDEX followers_delivery ON followers (state, delivery_inbox, delivery_host);

CREATE FUNCTION followers_delivery_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT COALESCE(a.shared_inbox, a.inbox), a.host
    INTO NEW.delivery_inbox, NEW.delivery_host
    FROM remote_actors a WHERE a.id = NEW.actor_id;
    RETURN NEW;
END
$$;

CREATE TRIGGER followers_delivery_on_insert BEFORE INSERT OR UPDATE OF actor_id ON followers
FOR EACH ROW EXECUTE FUNCTION followers_delivery_fill();

CREATE FUNCTION followers_delivery_follow_actor() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE followers SET delivery_inbox = COALESCE(NEW.shared_inbox, NEW.inbox),
        delivery_host = NEW.host
    WHERE actor_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER followers_delivery_on_actor_change AFTER UPDATE OF inbox, shared_inbox, host ON remote_actors
FOR EACH ROW EXECUTE FUNCTION followers_delivery_follow_actor();
