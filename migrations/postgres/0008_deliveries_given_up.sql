-- A delivery that failed after every attempt gets a state of its own, 'given_up', instead of
-- 'failed' with an error message that starts "gave up" (which reports had to match with LIKE).
ALTER TABLE deliveries DROP CONSTRAINT deliveries_state_check;
UPDATE deliveries SET state = 'given_up' WHERE state = 'failed' AND last_error LIKE 'gave up%';
ALTER TABLE deliveries ADD CONSTRAINT deliveries_state_check
    CHECK (state IN ('pending', 'delivered', 'failed', 'given_up'));
