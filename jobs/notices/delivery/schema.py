"""The ledger's SQLite schema, as the migrations that build it (PRAGMA user_version counts them)."""

from __future__ import annotations

# Each entry upgrades the schema by one version (PRAGMA user_version); never edit a shipped one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE runs (
        run_id      INTEGER PRIMARY KEY,
        as_of       TEXT NOT NULL,
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        state       TEXT NOT NULL CHECK (state IN ('building', 'sealing', 'complete', 'abandoned')),
        folder      TEXT NOT NULL,
        summary     TEXT
    );
    CREATE TABLE notices (
        resident_id    TEXT NOT NULL,
        kind           TEXT NOT NULL,
        expires_on     TEXT NOT NULL,
        run_id         INTEGER NOT NULL REFERENCES runs(run_id),
        piece_id       TEXT NOT NULL UNIQUE,
        application_id TEXT,
        PRIMARY KEY (resident_id, kind, expires_on)
    );
    CREATE TABLE application_ids (
        application_id TEXT PRIMARY KEY,
        resident_id    TEXT NOT NULL,
        run_id         INTEGER NOT NULL REFERENCES runs(run_id),
        supplied       INTEGER NOT NULL
    );
    """,
    # 2: returned mail (a returned notice no longer counts, so a corrected address is mailed
    # again) and the residents each run held for review.
    """
    CREATE TABLE notices_v2 (
        resident_id    TEXT NOT NULL,
        kind           TEXT NOT NULL,
        expires_on     TEXT NOT NULL,
        run_id         INTEGER NOT NULL REFERENCES runs(run_id),
        piece_id       TEXT NOT NULL UNIQUE,
        application_id TEXT,
        address_hash   TEXT,
        returned_at    TEXT
    );
    INSERT INTO notices_v2 (resident_id, kind, expires_on, run_id, piece_id, application_id)
        SELECT resident_id, kind, expires_on, run_id, piece_id, application_id FROM notices;
    DROP TABLE notices;
    ALTER TABLE notices_v2 RENAME TO notices;
    CREATE UNIQUE INDEX one_live_notice ON notices (resident_id, kind, expires_on) WHERE returned_at IS NULL;
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta VALUES ('ledger_id', lower(hex(randomblob(16))));
    CREATE TABLE held (
        run_id      INTEGER NOT NULL REFERENCES runs(run_id),
        resident_id TEXT NOT NULL,
        reason      TEXT NOT NULL,
        detail      TEXT NOT NULL,
        kind        TEXT NOT NULL,
        expires_on  TEXT NOT NULL
    );
    """,
    # 3: the SHA256SUMS of a run's folder, recorded before the folder is renamed into place: from
    # then on the run counts as handed off, whatever becomes of the folder (see handoff.settle).
    """
    ALTER TABLE runs ADD COLUMN sums TEXT;
    """,
    # 4: operators' decisions on held residents (notices decide), each answering one hold as it was (its
    # reason, detail and the registered address then); the address each run held a resident at, and
    # whether a decision withheld them (listed apart, and decided anew by a later file). Where each piece
    # is in its folder (lot file, first page), and who looked at whose data (explain, preview: the access
    # record municipal security policies ask for); the indexes a resident's history is read by.
    """
    ALTER TABLE held ADD COLUMN address_hash TEXT;
    ALTER TABLE held ADD COLUMN withheld INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE decisions (
        decision_id         INTEGER PRIMARY KEY,
        resident_id         TEXT NOT NULL,
        reason              TEXT NOT NULL,
        detail              TEXT NOT NULL,
        address_hash        TEXT NOT NULL,
        decision            TEXT NOT NULL CHECK (decision IN ('mail', 'mail_to', 'withhold')),
        note                TEXT NOT NULL,
        mail_to_postal_code TEXT NOT NULL,
        mail_to_address     TEXT NOT NULL,
        mail_to_name        TEXT NOT NULL,
        until               TEXT,
        decided_at          TEXT NOT NULL,
        decided_by          TEXT NOT NULL,
        source              TEXT NOT NULL
    );
    CREATE INDEX decisions_by_hold ON decisions (resident_id, reason, decision_id);
    CREATE INDEX held_by_run ON held (run_id, resident_id);
    CREATE INDEX held_by_resident ON held (resident_id);
    CREATE INDEX notices_by_resident ON notices (resident_id);
    ALTER TABLE notices ADD COLUMN pdf TEXT;
    ALTER TABLE notices ADD COLUMN first_page INTEGER;
    CREATE TABLE access_log (
        at          TEXT NOT NULL,
        operator    TEXT NOT NULL,
        command     TEXT NOT NULL,
        resident_id TEXT NOT NULL
    );
    CREATE INDEX access_by_time ON access_log (at);
    """,
    # 5: the vendor's side (issue 15). Acknowledgements: each lot file a vendor confirmed receiving, with its
    # SHA-256 as in the run's SHA256SUMS; runs sealed before this version are not expected to be acknowledged
    # (acks_from_run). Recalls: a folder, or some of its pieces, taken back before print; a recalled notice
    # no longer counts as sent (the next run mails it again) and is no longer the one live notice.
    """
    CREATE TABLE acks (
        run_id   INTEGER NOT NULL REFERENCES runs(run_id),
        lot      TEXT NOT NULL,
        sha256   TEXT NOT NULL,
        acked_at TEXT NOT NULL,
        acked_by TEXT NOT NULL,
        source   TEXT NOT NULL,
        PRIMARY KEY (run_id, lot)
    );
    INSERT INTO meta VALUES ('acks_from_run', (SELECT COALESCE(MAX(run_id), 0) + 1 FROM runs));
    CREATE TABLE recalls (
        recall_id   INTEGER PRIMARY KEY,
        run_id      INTEGER NOT NULL REFERENCES runs(run_id),
        scope       TEXT NOT NULL CHECK (scope IN ('folder', 'pieces')),
        recalled_at TEXT NOT NULL,
        recalled_by TEXT NOT NULL,
        reason      TEXT NOT NULL
    );
    ALTER TABLE notices ADD COLUMN recall_id INTEGER REFERENCES recalls(recall_id);
    DROP INDEX one_live_notice;
    CREATE UNIQUE INDEX one_live_notice ON notices (resident_id, kind, expires_on)
        WHERE returned_at IS NULL AND recall_id IS NULL;
    CREATE INDEX notices_by_run ON notices (run_id);
    """,
)
