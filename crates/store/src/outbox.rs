//! The outbox's rule for messages that wait behind an earlier one to the same address, shared by
//! both engines' `claim_notifications`.
//!
//! A notification is not claimed while an earlier one to the same channel and address is still
//! pending or being sent (the reporter reads the answers in the order they were written). A
//! claim walks the due notifications in `(next_attempt_at, id)` order; without more, every claim
//! walks again every message waiting behind another, and when thousands wait behind one address
//! (an agency head's inbox in a flood, a number the provider keeps refusing) each claim costs a
//! probe per waiting message before it reaches one it may send.
//!
//! So a claim that finds a message waiting moves its `next_attempt_at` to the time the message
//! it waits for is next due (for one being sent: the end of its lease), and at least
//! [`deferral_step`] past the claim's `now`, so that a claim makes progress through the due
//! messages whatever they wait for. Each statement walks at most the batch's remaining room
//! and claims those that wait for nothing; a claim repeats while its batch has room and it
//! deferred some. On PostgreSQL, a message found waiting defers in the same statement the
//! crowd behind the same first message, so a crowd is rewritten in a few statements, not one
//! per batch's room. When a message is sent (or given up as dead), the next one to its address
//! is due again at once, in its place (from when it was written, if it has not been tried
//! yet). A race between the two (a claim deferring a message just as the one before it is
//! recorded as sent) delays it at most until that one's lease would have ended. The order
//! itself never rests on any of this: a message is claimed only if nothing earlier to its
//! address is pending or being sent.

use chrono::TimeDelta;

/// How far past the claim's `now` a waiting message is moved at least.
pub fn deferral_step() -> TimeDelta {
    TimeDelta::milliseconds(1)
}
