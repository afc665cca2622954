"""The PostgreSQL ledger's statements, one per operation (see `debtkit.bulk.postgres_ledger`).

Fencing: a worker's writes about claimed debts name the claim's token; a debt taken over by
another worker carries another token, so a stale worker's writes match no row. The account
table (``debtkit_sent``) is fenced by compare-and-swap on ``version``, which every change
bumps: `MARK_SENDING` only proceeds where the row is still what the claimer saw (or still
absent), so two workers never both mark one reference ``sending`` after seeing it unsent.
"""

from __future__ import annotations

CREATE_IMPORT = """
INSERT INTO debtkit_imports (import_id, provider, account) VALUES ($1, $2, $3)
ON CONFLICT (import_id) DO NOTHING RETURNING import_id
"""

IMPORT_INFO = "SELECT provider, account, total FROM debtkit_imports WHERE import_id = $1"

SET_TOTAL = "UPDATE debtkit_imports SET total = $2 WHERE import_id = $1"

# A rerun of an import sends again what did not end created (as a SQLite rerun does).
RESUME_IMPORT = """
UPDATE debtkit_import_debts
SET outcome = NULL, provider_id = NULL, error = NULL, error_type = NULL, problems = NULL,
    updated_at = now()
WHERE import_id = $1 AND outcome IN ('rejected', 'ambiguous', 'not_sent')
"""

# A reference repeated in the input: the first one is sent, later ones are final here.
# Joined on the primary key: right after the load the planner's statistics are empty, and a
# join on the reference would be planned as a nested loop over the whole import, squared.
MARK_DUPLICATES = """
UPDATE debtkit_import_debts d
SET outcome = CASE WHEN d.content_hash = f.first_hash THEN 'duplicate' ELSE 'changed' END,
    error = 'reference appears earlier in input', updated_at = now()
FROM (
    SELECT position, first_value(content_hash) OVER w AS first_hash,
        row_number() OVER w AS occurrence
    FROM debtkit_import_debts
    WHERE import_id = $1 AND outcome IS NULL AND reference IS NOT NULL
    WINDOW w AS (PARTITION BY reference ORDER BY position)
) f
WHERE d.import_id = $1 AND d.position = f.position AND f.occurrence > 1
"""

CLAIM = """
WITH picked AS (
    SELECT position FROM debtkit_import_debts
    WHERE import_id = $1 AND outcome IS NULL AND (lease_until IS NULL OR lease_until < now())
    ORDER BY position LIMIT $2
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE debtkit_import_debts d
    SET claim_token = $3::uuid, claimed_by = $4,
        lease_until = now() + make_interval(secs => $5::float8), updated_at = now()
    FROM picked WHERE d.import_id = $1 AND d.position = picked.position
    RETURNING d.position, d.line, d.reference, d.debt, d.content_hash
)
SELECT c.position, c.line, c.reference, c.debt, c.content_hash,
    s.state, s.content_hash AS sent_hash, s.provider_id,
    extract(epoch FROM s.sent_at)::float8 AS sent_at, s.version,
    coalesce(
        s.state = 'sending' AND NOT (s.import_id = $1 AND s.position = c.position)
        AND EXISTS (
            SELECT 1 FROM debtkit_import_debts o
            WHERE o.import_id = s.import_id AND o.position = s.position
                AND o.outcome IS NULL AND o.lease_until > now()
        ),
        false
    ) AS busy
FROM claimed c
LEFT JOIN debtkit_sent s ON s.provider = $6 AND s.account = $7 AND s.reference = c.reference
ORDER BY c.position
"""

RENEW = """
WITH renewed AS (
    UPDATE debtkit_import_debts SET lease_until = now() + make_interval(secs => $3::float8)
    WHERE import_id = $1 AND claim_token = $2::uuid AND outcome IS NULL
    RETURNING 1
)
SELECT count(*) FROM renewed
"""

# Rows the claimer saw (a version) are updated only if still at that version; rows it saw
# absent are inserted only if still absent. Provider and account are parameters ($5, $6),
# so every lookup in debtkit_sent is on its full primary key whatever the planner's guess.
MARK_SENDING = """
WITH x AS (
    SELECT * FROM unnest($3::int[], $4::int[]) AS x(position, version)
), mine AS (
    SELECT d.position, d.reference, d.content_hash, x.version
    FROM debtkit_import_debts d JOIN x ON d.import_id = $1 AND d.position = x.position
    WHERE d.claim_token = $2::uuid AND d.outcome IS NULL AND d.lease_until > now()
    FOR UPDATE OF d
), updated AS (
    UPDATE debtkit_sent s
    SET state = 'sending', content_hash = m.content_hash, import_id = $1,
        position = m.position, version = s.version + 1, sent_at = now(), updated_at = now()
    FROM mine m
    WHERE s.provider = $5 AND s.account = $6 AND s.reference = m.reference
        AND s.version = m.version
    RETURNING s.position
), inserted AS (
    INSERT INTO debtkit_sent (
        provider, account, reference, state, content_hash, import_id, position, version,
        sent_at, updated_at
    )
    SELECT $5, $6, m.reference, 'sending', m.content_hash, $1, m.position, 1, now(), now()
    FROM mine m WHERE m.version IS NULL
    ON CONFLICT (provider, account, reference) DO NOTHING
    RETURNING position
)
SELECT position FROM updated UNION ALL SELECT position FROM inserted
"""

SETTLE = """
WITH x AS (
    SELECT * FROM unnest(
        $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[]
    ) AS x(position, outcome, sent_state, provider_id, error, error_type, problems)
), done AS (
    UPDATE debtkit_import_debts d
    SET outcome = x.outcome, provider_id = x.provider_id, error = x.error,
        error_type = x.error_type, problems = x.problems, claim_token = NULL,
        claimed_by = NULL, lease_until = NULL, updated_at = now()
    FROM x
    WHERE d.import_id = $1 AND d.position = x.position AND d.claim_token = $2::uuid
        AND d.outcome IS NULL
    RETURNING d.position, d.reference, d.content_hash, x.sent_state, x.provider_id
), sent AS (
    INSERT INTO debtkit_sent AS s (
        provider, account, reference, state, content_hash, provider_id, import_id, position,
        version, updated_at
    )
    SELECT $10, $11, done.reference, done.sent_state, done.content_hash,
        done.provider_id, $1, done.position, 1, now()
    FROM done
    WHERE done.sent_state IS NOT NULL
    ON CONFLICT (provider, account, reference) DO UPDATE SET
        state = excluded.state, content_hash = excluded.content_hash,
        provider_id = coalesce(excluded.provider_id, s.provider_id),
        import_id = excluded.import_id, position = excluded.position,
        version = s.version + 1, updated_at = now()
    WHERE s.state <> 'created' OR excluded.state = 'created'
    RETURNING 1
)
SELECT position FROM done
"""

# A released debt waits a moment before it can be claimed again (its reference is busy).
RELEASE = """
UPDATE debtkit_import_debts
SET claim_token = NULL, claimed_by = NULL, lease_until = now() + interval '1 second',
    updated_at = now()
WHERE import_id = $1 AND claim_token = $2::uuid AND position = ANY($3::int[])
    AND outcome IS NULL
"""

PROGRESS = """
SELECT count(*) AS pending, count(*) FILTER (WHERE lease_until > now()) AS live,
    extract(epoch FROM min(lease_until) FILTER (WHERE lease_until > now()) - now())::float8
        AS next_expiry
FROM debtkit_import_debts WHERE import_id = $1 AND outcome IS NULL
"""

COUNTS = """
SELECT coalesce(
        outcome,
        CASE WHEN claim_token IS NOT NULL AND lease_until > now() THEN 'claimed'
            ELSE 'pending' END
    ) AS state,
    count(*) AS count
FROM debtkit_import_debts WHERE import_id = $1 GROUP BY 1
"""
