//! What the scheduler does when a clock crosses a threshold (SPEC section 5), as pure functions:
//! which action, who hears about it, and the idempotency key that makes each notification go out
//! once however many scheduler instances run and however often they restart.

use crate::calendar::Timestamp;
use crate::clock::ClockKind;
use serde::{Deserialize, Serialize};

/// What crossing a threshold means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EscalationAction {
    /// First response, early thresholds (50%): remind the agency's officers.
    RemindOfficers,
    /// First response, late thresholds (75%): tell the agency head directly.
    NotifyHead,
    /// First response, 100%: the assignment is `lalai`; the head and the complaint desk hear of it
    /// and it shows on the leadership dashboard.
    MarkNegligent,
    /// Completion target passed: the head and the desk hear of it.
    CompletionOverdue,
    /// Triage took longer than its target: the desk hears of it.
    TriageOverdue,
    /// Ten working days of silence after `selesai`: the report closes.
    AutoClose,
    /// Sixty days without `selesai`: the reporter is offered escalation to the Ombudsman.
    OfferOmbudsman,
}

impl EscalationAction {
    pub fn as_str(self) -> &'static str {
        match self {
            EscalationAction::RemindOfficers => "remind_officers",
            EscalationAction::NotifyHead => "notify_head",
            EscalationAction::MarkNegligent => "mark_negligent",
            EscalationAction::CompletionOverdue => "completion_overdue",
            EscalationAction::TriageOverdue => "triage_overdue",
            EscalationAction::AutoClose => "auto_close",
            EscalationAction::OfferOmbudsman => "offer_ombudsman",
        }
    }

    /// Who is told.
    pub fn recipients(self) -> &'static [RecipientKind] {
        use RecipientKind as R;
        match self {
            EscalationAction::RemindOfficers => &[R::Officers],
            EscalationAction::NotifyHead => &[R::Head],
            EscalationAction::MarkNegligent | EscalationAction::CompletionOverdue => {
                &[R::Head, R::Desk]
            }
            EscalationAction::TriageOverdue => &[R::Desk],
            EscalationAction::AutoClose => &[],
            EscalationAction::OfferOmbudsman => &[R::Reporter],
        }
    }
}

/// From this percentage on, a step of the first-response ladder goes to the head, not the officers.
pub const HEAD_FROM_PERCENT: u32 = 75;

/// The action for a clock of `kind` crossing `percent`, `last` when it is the clock's final
/// threshold (its deadline). `None`: nothing to do but record that the threshold passed.
///
/// The ladder is configurable (`escalation_percent`), so the first-response steps are decided by
/// position and size: the last is always the `lalai` mark, earlier ones from 75% go to the head,
/// below that to the officers.
pub fn action_for(kind: ClockKind, percent: u32, last: bool) -> Option<EscalationAction> {
    use EscalationAction as A;
    match (kind, last) {
        (ClockKind::FirstResponse, true) => Some(A::MarkNegligent),
        (ClockKind::FirstResponse, false) if percent >= HEAD_FROM_PERCENT => Some(A::NotifyHead),
        (ClockKind::FirstResponse, false) => Some(A::RemindOfficers),
        (ClockKind::Completion, true) => Some(A::CompletionOverdue),
        (ClockKind::Triage, true) => Some(A::TriageOverdue),
        (ClockKind::AutoClose, true) => Some(A::AutoClose),
        (ClockKind::Ombudsman, true) => Some(A::OfferOmbudsman),
        (_, false) => None,
    }
}

macro_rules! codes {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$v => $s),+ } }
            pub fn parse(s: &str) -> Option<Self> { match s { $($s => Some($name::$v),)+ _ => None } }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

codes!(
    /// Whom a notification is for, as a role in the escalation.
    RecipientKind {
        /// The agency's liaison officers (active `petugas` users of the agency).
        Officers = "officers",
        /// The agency head: the agency's head contact and its active `kepala` users.
        Head = "head",
        /// The complaint desk (active `operator` users).
        Desk = "desk",
        /// The citizen who made the report.
        Reporter = "reporter",
        /// One named user, outside the escalation roles.
        User = "user",
    }
);

codes!(
    /// How a notification travels.
    NotifyChannel {
        /// The user's inbox in Tanggap itself.
        InApp = "in_app",
        Email = "email",
        Whatsapp = "whatsapp",
        Sms = "sms",
        Telegram = "telegram",
        /// Facebook Messenger (the report channel's code).
        Facebook = "facebook",
        /// X direct messages (the report channel's code).
        Twitter = "twitter",
    }
);

impl NotifyChannel {
    /// The channel that answers a reporter who wrote on `channel`, if it is a messaging channel.
    pub fn for_report_channel(channel: crate::Channel) -> Option<NotifyChannel> {
        use crate::Channel as C;
        match channel {
            C::Whatsapp => Some(NotifyChannel::Whatsapp),
            C::Sms => Some(NotifyChannel::Sms),
            C::Telegram => Some(NotifyChannel::Telegram),
            C::Facebook => Some(NotifyChannel::Facebook),
            C::Twitter => Some(NotifyChannel::Twitter),
            C::Email => Some(NotifyChannel::Email),
            _ => None,
        }
    }
}

/// The idempotency key of one notification of one threshold of one clock:
/// `{report}:{assignment or 0}:{clock kind}:{clock start, µs}:{percent}:{recipient}`.
///
/// - Report, assignment and kind name the clock row. A sub-unit that inherits a forwarded clock
///   has its own assignment id, but the parent hands over every threshold it has not fired, so
///   one threshold is never keyed for both.
/// - The clock's start tells a restarted clock (a reopened report's new response clock, a triage
///   clock after every agency returned the report, an auto-close clock restarted by a reply)
///   from the one it replaces, so the new clock escalates again; pausing and resuming keep the
///   start, so a resumed clock does not.
/// - `recipient` is one address: `u{user id}/{channel}`, `head/{channel}` or
///   `reporter/{channel}` (see [`recipient_token`]).
pub fn idempotency_key(
    report_id: i64,
    assignment_id: Option<i64>,
    kind: ClockKind,
    started_at: Timestamp,
    percent: u32,
    recipient: &str,
) -> String {
    format!(
        "{report_id}:{}:{}:{}:{percent}:{recipient}",
        assignment_id.unwrap_or(0),
        kind.as_str(),
        started_at.timestamp_micros(),
    )
}

/// The recipient part of an idempotency key.
pub fn recipient_token(
    kind: RecipientKind,
    user_id: Option<i64>,
    channel: NotifyChannel,
) -> String {
    match user_id {
        Some(id) => format!("u{id}/{channel}"),
        None => format!("{kind}/{channel}"),
    }
}

/// The key of an agency's morning digest for one local date and recipient.
pub fn digest_key(agency_id: &str, date: chrono::NaiveDate, recipient: &str) -> String {
    format!("digest:{agency_id}:{date}:{recipient}")
}

/// The idempotency key of leadership's daily digest about `date` to one recipient.
pub fn leadership_digest_key(date: chrono::NaiveDate, recipient: &str) -> String {
    format!("ringkasan:{date}:{recipient}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use EscalationAction as A;
    use chrono::DateTime;

    #[test]
    fn the_first_response_ladder() {
        let k = ClockKind::FirstResponse;
        assert_eq!(action_for(k, 50, false), Some(A::RemindOfficers));
        assert_eq!(action_for(k, 75, false), Some(A::NotifyHead));
        assert_eq!(action_for(k, 100, true), Some(A::MarkNegligent));
        // An edited ladder: the last step is always the lalai mark.
        assert_eq!(action_for(k, 25, false), Some(A::RemindOfficers));
        assert_eq!(action_for(k, 90, false), Some(A::NotifyHead));
        assert_eq!(action_for(k, 80, true), Some(A::MarkNegligent));
    }

    #[test]
    fn other_clocks_act_at_their_deadline_only() {
        assert_eq!(
            action_for(ClockKind::Completion, 100, true),
            Some(A::CompletionOverdue)
        );
        assert_eq!(
            action_for(ClockKind::Triage, 100, true),
            Some(A::TriageOverdue)
        );
        assert_eq!(
            action_for(ClockKind::AutoClose, 100, true),
            Some(A::AutoClose)
        );
        assert_eq!(
            action_for(ClockKind::Ombudsman, 100, true),
            Some(A::OfferOmbudsman)
        );
        assert_eq!(action_for(ClockKind::Completion, 50, false), None);
    }

    #[test]
    fn who_hears_of_what() {
        use RecipientKind as R;
        assert_eq!(A::RemindOfficers.recipients(), &[R::Officers]);
        assert_eq!(A::NotifyHead.recipients(), &[R::Head]);
        assert_eq!(A::MarkNegligent.recipients(), &[R::Head, R::Desk]);
        assert_eq!(A::CompletionOverdue.recipients(), &[R::Head, R::Desk]);
        assert_eq!(A::TriageOverdue.recipients(), &[R::Desk]);
        assert!(A::AutoClose.recipients().is_empty());
        assert_eq!(A::OfferOmbudsman.recipients(), &[R::Reporter]);
    }

    #[test]
    fn keys_name_the_clock_its_start_the_threshold_and_the_address() {
        let t = DateTime::from_timestamp(1_764_468_000, 0).unwrap();
        let r = recipient_token(RecipientKind::Head, None, NotifyChannel::Email);
        assert_eq!(
            idempotency_key(41, Some(57), ClockKind::FirstResponse, t, 75, &r),
            "41:57:first_response:1764468000000000:75:head/email"
        );
        let u = recipient_token(RecipientKind::Officers, Some(9), NotifyChannel::InApp);
        assert_eq!(
            idempotency_key(41, None, ClockKind::Triage, t, 100, &u),
            "41:0:triage:1764468000000000:100:u9/in_app"
        );
        // A restarted clock has another start, so another key.
        assert_ne!(
            idempotency_key(41, Some(57), ClockKind::FirstResponse, t, 50, &u),
            idempotency_key(
                41,
                Some(57),
                ClockKind::FirstResponse,
                t + chrono::TimeDelta::days(3),
                50,
                &u
            )
        );
        assert_eq!(
            digest_key("dinkes", "2026-12-01".parse().unwrap(), "head/email"),
            "digest:dinkes:2026-12-01:head/email"
        );
        for c in NotifyChannel::ALL {
            assert_eq!(NotifyChannel::parse(c.as_str()), Some(*c));
        }
        for r in RecipientKind::ALL {
            assert_eq!(RecipientKind::parse(r.as_str()), Some(*r));
        }
    }
}
