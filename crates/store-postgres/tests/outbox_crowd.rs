//! The outbox's claim on PostgreSQL defers a crowd waiting behind one address in the statement
//! that finds it (`tanggap_store::outbox`): to the lease's end of a first message it claims
//! itself, and never waiting on a row another transaction holds.

mod common;

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::postgres::PgConnection;
use sqlx::{ConnectOptions, Connection, Row};
use std::time::Duration;
use tanggap_store::Store;
use tanggap_store_postgres::PgStore;

const CROWD: i64 = 300;

/// Message 1 to the head's address, `CROWD` behind it, then one receipt to a citizen; all due an
/// hour before `now`, in id order.
async fn load(conn: &mut PgConnection, now: DateTime<Utc>) {
    sqlx::query(
        "INSERT INTO notifications (idempotency_key, action, recipient, channel, address, subject, body, status, attempts, next_attempt_at, created_at)
         SELECT 'crowd/' || n, 'remind_officers', 'head', 'email',
                CASE WHEN n <= $1 + 1 THEN 'kepala@dinkes.example' ELSE 'warga@example.org' END,
                'Pengingat', 'Laporan belum direspons.', 'pending', 0,
                $2 - INTERVAL '1 hour' + n * INTERVAL '1 microsecond', $2 - INTERVAL '1 hour' + n * INTERVAL '1 microsecond'
           FROM generate_series(1::bigint, $1 + 2) AS s(n)",
    )
    .bind(CROWD)
    .bind(now)
    .execute(conn)
    .await
    .unwrap();
}

async fn due_times(conn: &mut PgConnection) -> Vec<(String, DateTime<Utc>)> {
    sqlx::query(
        "SELECT idempotency_key, next_attempt_at FROM notifications
          WHERE status = 'pending' AND address = 'kepala@dinkes.example' ORDER BY id",
    )
    .fetch_all(conn)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

#[tokio::test]
async fn a_crowd_is_deferred_at_once_and_never_waited_on() {
    let test_db = common::TestDb::create("tanggap_crowd").await;
    let db = test_db.options.clone();
    let store = PgStore::connect_with(db.clone()).await.unwrap();
    let mut conn = db.connect().await.unwrap();
    let now = DateTime::from_timestamp(1_764_468_000, 0).unwrap();
    let lease = TimeDelta::minutes(5);
    load(&mut conn, now).await;

    // Another instance's transaction holds the last of the crowd (as its own claim's walk would).
    let mut other = db.connect().await.unwrap();
    let mut held = other.begin().await.unwrap();
    sqlx::query("SELECT id FROM notifications WHERE idempotency_key = $1 FOR UPDATE")
        .bind(format!("crowd/{}", CROWD + 1))
        .execute(&mut *held)
        .await
        .unwrap();

    // A batch of 10 walks message 1 (claimed), nine of the crowd (waiting), then in the next
    // statement the receipt. Nothing waits on the held row.
    let claimed = tokio::time::timeout(
        Duration::from_secs(10),
        store.claim_notifications(now, 10, lease),
    )
    .await
    .expect("the claim does not wait on a row another transaction holds")
    .unwrap();
    let keys: Vec<_> = claimed.iter().map(|n| n.idempotency_key.as_str()).collect();
    assert_eq!(keys, ["crowd/1", &format!("crowd/{}", CROWD + 2)]);

    // The whole crowd but the held row waits for message 1's lease, not a millisecond: the next
    // rounds, until the lease ends, do not walk it again.
    let waiting = due_times(&mut conn).await;
    assert_eq!(waiting.len() as i64, CROWD);
    let held_key = format!("crowd/{}", CROWD + 1);
    for (key, at) in &waiting {
        if *key == held_key {
            assert!(*at < now, "the held row was skipped, not waited for");
        } else {
            assert_eq!(*at, now + lease, "{key}");
        }
    }
    held.rollback().await.unwrap();

    // A minute later the held row is walked and deferred too; nothing is claimed.
    let later = now + TimeDelta::minutes(1);
    assert!(
        store
            .claim_notifications(later, 10, lease)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        due_times(&mut conn)
            .await
            .iter()
            .all(|(_, at)| *at == now + lease)
    );

    let _ = other.close().await;
    let _ = conn.close().await;
    store.close().await;
    test_db.drop().await;
}
