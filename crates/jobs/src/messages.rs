//! The words of the notifications, in Indonesian (the recipients' language).

use chrono_tz::Tz;
use tanggap_domain::escalation::EscalationAction;
use tanggap_domain::{Clock, ClockKind, SlaPolicy, Timestamp};

/// `01-12-2026 09:00 WIB`.
pub(crate) fn local(t: Timestamp, tz: Tz) -> String {
    t.with_timezone(&tz).format("%d-%m-%Y %H:%M %Z").to_string()
}

/// What the clock's target is called, as people say it.
pub(crate) fn target_label(kind: ClockKind, policy: &SlaPolicy) -> String {
    match kind {
        ClockKind::Triage => policy.triage.label_id(),
        ClockKind::FirstResponse => policy.first_response.label_id(),
        // A completion target depends on the report; the deadline says it precisely.
        ClockKind::Completion => "target penyelesaian".into(),
        ClockKind::AutoClose => policy.auto_close.label_id(),
        ClockKind::Ombudsman => policy.ombudsman.label_id(),
    }
}

pub(crate) struct Context<'a> {
    pub tracking_id: &'a str,
    pub agency_name: Option<&'a str>,
    pub clock: &'a Clock,
    pub percent: u32,
    pub policy: &'a SlaPolicy,
    pub tz: Tz,
}

/// Subject and body of the notification of `action`.
pub(crate) fn compose(action: EscalationAction, c: &Context<'_>) -> (String, String) {
    let tid = c.tracking_id;
    let agency = c.agency_name.unwrap_or("instansi");
    let due = c
        .clock
        .due_at
        .map(|d| local(d, c.tz))
        .unwrap_or_else(|| "-".into());
    let label = target_label(c.clock.kind, c.policy);
    // After a late or caught-up firing the agency may have acted already: say so.
    let since = c
        .clock
        .stopped_at
        .map(|s| format!(" (Catatan: sudah ditanggapi pada {}.)", local(s, c.tz)))
        .unwrap_or_default();
    match action {
        EscalationAction::RemindOfficers => (
            format!("Pengingat: laporan {tid} belum direspons"),
            format!(
                "Laporan {tid} yang didisposisikan ke {agency} belum mendapat respons pertama. \
                 {}% dari batas waktu {label} telah berlalu; batas respons: {due}. \
                 Mohon segera tanggapi melalui Tanggap.{since}",
                c.percent
            ),
        ),
        EscalationAction::NotifyHead => (
            format!("Perhatian Kepala {agency}: laporan {tid} belum direspons"),
            format!(
                "Laporan {tid} di {agency} belum mendapat respons pertama dan {}% dari batas \
                 waktu {label} telah berlalu. Batas respons: {due}. Bila tidak direspons, \
                 disposisi ini akan dicatat LALAI dan dilaporkan kepada pimpinan.{since}",
                c.percent
            ),
        ),
        EscalationAction::MarkNegligent => (
            format!("LALAI: laporan {tid} tidak direspons dalam {label}"),
            format!(
                "Disposisi laporan {tid} kepada {agency} melewati batas respons {label} \
                 ({due}) dan dicatat LALAI. Catatan ini tampil di dasbor pimpinan dan laporan \
                 akuntabilitas.{since}"
            ),
        ),
        EscalationAction::CompletionOverdue => (
            format!("Laporan {tid} melewati target penyelesaian"),
            format!(
                "Laporan {tid} di {agency} belum tuntas dan telah melewati target penyelesaian \
                 ({due}). Mohon segera diselesaikan dan dilaporkan perkembangannya.{since}"
            ),
        ),
        EscalationAction::TriageOverdue => (
            format!("Laporan {tid} belum didisposisikan dalam {label}"),
            format!(
                "Laporan {tid} belum diverifikasi dan didisposisikan dalam {label} (batas: \
                 {due}). Mohon segera ditindaklanjuti oleh admin.{since}"
            ),
        ),
        EscalationAction::OfferOmbudsman => (
            format!("Laporan {tid}: hak Anda melapor ke Ombudsman"),
            format!(
                "Laporan Anda {tid} belum selesai setelah {label}. Anda berhak menyampaikan \
                 laporan ini kepada Ombudsman Republik Indonesia (www.ombudsman.go.id, telepon \
                 137). Kami tetap menindaklanjuti laporan Anda."
            ),
        ),
        EscalationAction::AutoClose => (
            format!("Laporan {tid} ditutup otomatis"),
            format!("Laporan {tid} ditutup otomatis setelah {label} tanpa tanggapan."),
        ),
    }
}
