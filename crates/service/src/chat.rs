//! Conversations on the chat channels (SPEC section 3): WhatsApp, Telegram, SMS, Messenger, X and
//! e-mail messages, after the web adapter verified and recorded them and the inbox fetched their
//! photos. One use case decides what a message means and acts through the same commands,
//! permissions, clocks and audit as every other door.
//!
//! Who is writing is the address the *provider* vouches for, never anything typed:
//! - a registered staff phone (an active `petugas` or `kepala` with that number) answering for
//!   their agency: `LG-… cek lapangan tim sudah meluncur` posts a stage update as that user;
//! - anyone else is a citizen. Their reports are the ones filed from the same verified address
//!   (a WhatsApp number is the same person on SMS). A first message files a report in `baru` and
//!   answers with the tracking ID and the secret link; a later one joins the open report when
//!   there is exactly one, or the one whose tracking ID it quotes, else the bot asks which;
//!   `status`, `batal`, a rating (`5 tuntas`), `buka <alasan>` and `ya` work in Indonesian.
//!
//! Every answer goes out through the outbox on the channel the message came in on, enqueued in
//! the same transaction that marks the message handled.

use crate::actions::Action;
use crate::{Caller, Lang, ReportInput, ReporterInput, Result, ServiceError, Services};
use serde::{Deserialize, Serialize};
use tanggap_domain::escalation::{NotifyChannel, RecipientKind};
use tanggap_domain::workflow::Actor;
use tanggap_domain::{Channel, ReportStatus, Role, Stage, TrackingId};
use tanggap_store::{
    ChatPending, InboundEnd, InboundRecord, NewAttachment, NewNotification, ReportFilter,
    ReportRecord, User,
};

/// A chat message as the inbox hands it over: verified, recorded, its media fetched and checked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatInput {
    /// The recorded message (`inbound_messages.id`).
    pub inbound_id: i64,
    pub channel: Channel,
    /// The sender's address as the provider vouches for it (E.164 for WhatsApp and SMS).
    pub from: String,
    /// The name the provider shows (a greeting, never an identity).
    pub display_name: Option<String>,
    pub text: Option<String>,
    /// An interactive button's payload.
    pub button: Option<String>,
    /// A shared location: latitude, longitude, label.
    pub location: Option<(f64, f64, Option<String>)>,
    /// A shared contact's phone number (content, not identity).
    pub shared_contact: Option<String>,
    /// E-mail: the subject line.
    pub subject: Option<String>,
    /// Photos and documents, fetched and cleaned.
    #[serde(skip)]
    pub attachments: Vec<NewAttachment>,
    /// Why some media could not be kept (too large, not a photo, provider unreachable for good),
    /// told to the sender.
    pub refused_media: Vec<String>,
}

/// What handling a message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatOutcome {
    /// The report the message was about, if any.
    pub report_id: Option<i64>,
    /// Answers enqueued to the sender.
    pub replies: usize,
}

/// A pending question waits at most this long for the sender's choice.
const PENDING_HOURS: i64 = 24;

impl Services {
    /// Record a provider's message before the provider is answered (the webhooks). `None` when
    /// it was recorded before: the provider's retry changes nothing.
    pub async fn record_inbound(
        &self,
        channel: Channel,
        provider_id: &str,
        address: &str,
        payload: &str,
    ) -> Result<Option<i64>> {
        Ok(self
            .store
            .record_inbound(channel, provider_id, address, payload, self.now())
            .await?)
    }

    /// The providers' delivery receipts for messages we sent, recorded on the notifications they
    /// name (a receipt for a message we do not know, or older than the one recorded, is ignored).
    pub async fn record_delivery_receipts(
        &self,
        receipts: &[tanggap_channels::DeliveryStatus],
    ) -> Result<()> {
        let now = self.now();
        for r in receipts {
            let Some(channel) = NotifyChannel::for_report_channel(r.channel) else {
                continue;
            };
            let state = match r.state {
                tanggap_channels::DeliveryState::Sent => "sent",
                tanggap_channels::DeliveryState::Delivered => "delivered",
                tanggap_channels::DeliveryState::Read => "read",
                tanggap_channels::DeliveryState::Failed => "failed",
            };
            // A provider's clock ahead of ours is not trusted to order receipts.
            let at = r.at.map_or(now, |t| t.min(now));
            let known = self
                .store
                .record_delivery(channel, &r.provider_message_id, state, at)
                .await?;
            if !known {
                tracing::debug!(
                    channel = channel.as_str(),
                    state,
                    "delivery receipt ignored"
                );
            }
        }
        Ok(())
    }

    /// Messages to handle now, at most one per sender (the inbox).
    pub async fn claim_inbound(
        &self,
        limit: u32,
        lease: chrono::TimeDelta,
    ) -> Result<Vec<InboundRecord>> {
        Ok(self.store.claim_inbound(self.now(), limit, lease).await?)
    }

    /// Handling failed for now (a provider's media server down): try again later.
    pub async fn retry_inbound(
        &self,
        id: i64,
        error: &str,
        after: chrono::TimeDelta,
    ) -> Result<()> {
        let now = self.now();
        let end = InboundEnd::Retry {
            error: error.chars().take(500).collect(),
            at: now + after,
        };
        Ok(self.store.end_inbound(id, &end, &[], now).await?)
    }

    /// Handling failed for good: the sender is told, the message kept without its words.
    pub async fn fail_inbound(&self, record: &InboundRecord, error: &str) -> Result<()> {
        let mut out = Outbox::new(record.id, record.channel, &record.address);
        out.say(
            None,
            "Pesan tidak dapat diproses",
            "Maaf, pesan Anda tidak dapat kami proses. Silakan kirim ulang, atau laporkan melalui situs web.",
        );
        let end = InboundEnd::Failed {
            error: error.chars().take(500).collect(),
        };
        Ok(self
            .store
            .end_inbound(record.id, &end, &out.items, self.now())
            .await?)
    }

    /// Decide what a message means, act on it, and answer the sender.
    pub async fn handle_chat(&self, input: ChatInput) -> Result<ChatOutcome> {
        let mut out = Outbox::new(input.inbound_id, input.channel, &input.from);
        let report_id = self.converse(&input, &mut out).await?;
        let replies = out.items.len();
        self.store
            .end_inbound(
                input.inbound_id,
                &InboundEnd::Done { report_id },
                &out.items,
                self.now(),
            )
            .await?;
        Ok(ChatOutcome { report_id, replies })
    }

    async fn converse(&self, input: &ChatInput, out: &mut Outbox) -> Result<Option<i64>> {
        // An agency without software answers a forwarded report by e-mail (its connector).
        if let Some(report_id) = self.connector_reply(input, out).await? {
            return Ok(Some(report_id));
        }
        for reason in &input.refused_media {
            out.say(
                None,
                "Lampiran tidak disimpan",
                &format!("Satu lampiran tidak dapat disimpan: {reason}"),
            );
        }
        // Handled before (a crash between the report and the end of this message): the report
        // stands; say so again instead of filing a second one.
        if let Some(id) = self.store.report_by_inbound(input.inbound_id).await? {
            if let Some(r) = self.store.report(id).await? {
                out.say(
                    Some(id),
                    &format!("[{}] Laporan diterima", r.tracking_id),
                    &format!(
                        "Laporan Anda telah kami terima dengan nomor {}. Balas pesan ini untuk menambah keterangan atau foto.",
                        r.tracking_id
                    ),
                );
            }
            return Ok(Some(id));
        }
        if matches!(input.channel, Channel::Whatsapp | Channel::Sms)
            && let Some(user) = self.staff_with_phone(&input.from).await?
        {
            return self.staff_message(&user, input, out).await;
        }
        self.citizen_message(input, out).await
    }

    // ----- staff answering from their phones ---------------------------------------------------

    async fn staff_with_phone(&self, phone: &str) -> Result<Option<User>> {
        Ok(self.store.users().await?.into_iter().find(|u| {
            u.active
                && !u.integration
                && matches!(u.role, Role::Petugas | Role::Kepala)
                && u.phone.as_deref() == Some(phone)
        }))
    }

    async fn staff_message(
        &self,
        user: &User,
        input: &ChatInput,
        out: &mut Outbox,
    ) -> Result<Option<i64>> {
        let words = input
            .button
            .as_deref()
            .and_then(parse_stage_button)
            .or_else(|| {
                input
                    .text
                    .as_deref()
                    .and_then(|t| parse_staff_reply(t, &self.settings.tracking_prefix))
            });
        let Some(reply) = words else {
            out.say(None, "Format balasan", STAFF_HELP);
            return Ok(None);
        };
        let Some(report) = self.store.report_by_tracking_id(&reply.tracking_id).await? else {
            out.say(
                None,
                "Nomor laporan tidak dikenal",
                &format!(
                    "Laporan {} tidak ditemukan. Periksa nomornya.\n\n{STAFF_HELP}",
                    reply.tracking_id
                ),
            );
            return Ok(None);
        };
        let tree = self.agency_tree().await?;
        let Some(own_agency) = user.agency_id.as_deref() else {
            out.say(
                Some(report.id),
                "Tidak dapat diproses",
                "Akun Anda tidak terhubung ke instansi.",
            );
            return Ok(None);
        };
        let assignments = self.store.assignments(report.id).await?;
        let mine: Vec<_> = assignments
            .iter()
            .filter(|a| !a.stage.is_closed())
            .filter(|a| a.agency_id == own_agency || tree.is_within(&a.agency_id, own_agency))
            .collect();
        let chosen = match mine.as_slice() {
            [one] => *one,
            [] => {
                out.say(
                    Some(report.id),
                    &format!("[{}] Tidak ada tugas untuk instansi Anda", report.tracking_id),
                    &format!(
                        "Laporan {} tidak sedang ditugaskan ke instansi Anda (atau tugasnya sudah selesai). Tidak ada yang diubah.",
                        report.tracking_id
                    ),
                );
                return Ok(Some(report.id));
            }
            many => match many.iter().find(|a| a.agency_id == own_agency) {
                Some(a) => *a,
                None => {
                    out.say(
                        Some(report.id),
                        &format!("[{}] Pilih unit di halaman laporan", report.tracking_id),
                        "Laporan ini ditugaskan ke beberapa unit di bawah instansi Anda. Perbarui melalui halaman laporan agar unitnya jelas. Tidak ada yang diubah.",
                    );
                    return Ok(Some(report.id));
                }
            },
        };
        let action = match reply.stage {
            StaffStep::Stage(stage) => Action::PostUpdate {
                assignment_id: chosen.id,
                stage: stage.as_str().into(),
                note: reply
                    .note
                    .clone()
                    .unwrap_or_else(|| default_note(stage).into()),
            },
            StaffStep::NotOurs => match &reply.note {
                Some(reason) => Action::ReturnAssignment {
                    assignment_id: chosen.id,
                    reason: reason.clone(),
                },
                None => {
                    out.say(
                        Some(report.id),
                        &format!("[{}] Sebutkan alasannya", report.tracking_id),
                        &format!(
                            "Tulis alasannya, misalnya: {} bukan wewenang urusan jalan nasional, wewenang BBPJN.",
                            report.tracking_id
                        ),
                    );
                    return Ok(Some(report.id));
                }
            },
        };
        let caller = Caller::Staff(user.clone());
        match self
            .act(
                &caller,
                report.tracking_id.as_str(),
                None,
                action,
                input.attachments.clone(),
            )
            .await
        {
            Ok(_) => out.say(
                Some(report.id),
                &format!("[{}] Tercatat", report.tracking_id),
                &format!(
                    "Perkembangan laporan {} tercatat: {}. Pelapor diberi tahu.",
                    report.tracking_id,
                    reply.stage.label()
                ),
            ),
            Err(e) => refused(out, Some(report.id), &report, e)?,
        }
        Ok(Some(report.id))
    }

    // ----- citizens ----------------------------------------------------------------------------

    async fn citizen_message(&self, input: &ChatInput, out: &mut Outbox) -> Result<Option<i64>> {
        let reporter_id = self
            .store
            .reporter_by_address(input.channel, &input.from)
            .await?;
        let reports = match reporter_id {
            Some(id) => self.reports_of(id).await?,
            None => vec![],
        };
        let open: Vec<&ReportRecord> = reports.iter().filter(|r| is_open(r.status)).collect();
        let text = input.text.clone().unwrap_or_default();
        let words = Words::of(&text);
        let quoted = find_tracking_id(&text, &self.settings.tracking_prefix);

        // An answer to the bot's question "which report?".
        if let Some(pending) = self.store.chat_pending(input.channel, &input.from).await? {
            let fresh = self.now() - pending.asked_at < chrono::TimeDelta::hours(PENDING_HOURS);
            let choice = words
                .choice(pending.choices.len())
                .map(|i| pending.choices[i].clone())
                .or_else(|| {
                    quoted
                        .as_ref()
                        .filter(|t| {
                            pending.choices.iter().any(|c| c == t.as_str()) && words.len() == 1
                        })
                        .map(|t| t.as_str().to_string())
                });
            if let Some(tid) = choice.filter(|_| fresh) {
                self.store
                    .clear_chat_pending(input.channel, &input.from)
                    .await?;
                let Some(target) = reports.iter().find(|r| r.tracking_id.as_str() == tid) else {
                    return Ok(None);
                };
                let waiting: ChatInput = serde_json::from_str(&pending.payload).unwrap_or_default();
                let waiting = ChatInput {
                    attachments: vec![],
                    ..waiting
                };
                self.add_to_report(target, reporter_id, &waiting, out)
                    .await?;
                return Ok(Some(target.id));
            }
            if !fresh
                || !words.is_empty()
                || input.location.is_some()
                || !input.attachments.is_empty()
            {
                // A new message instead of an answer: the question lapses.
                self.store
                    .clear_chat_pending(input.channel, &input.from)
                    .await?;
            }
        }

        match words.command() {
            Some(Command::Help) => {
                out.say(
                    None,
                    "Bantuan",
                    &citizen_help(&self.settings.tracking_prefix),
                );
                return Ok(None);
            }
            Some(Command::Status) => {
                let list: Vec<&ReportRecord> = match &quoted {
                    Some(t) => reports.iter().filter(|r| &r.tracking_id == t).collect(),
                    None => open.clone(),
                };
                if list.is_empty() {
                    out.say(
                        None,
                        "Status laporan",
                        match &quoted {
                            Some(_) => "Nomor laporan itu tidak terdaftar dari nomor/akun ini.",
                            None => "Tidak ada laporan terbuka dari nomor/akun ini.",
                        },
                    );
                } else {
                    let lines: Vec<String> = list
                        .iter()
                        .map(|r| format!("{}: {} ({})", r.tracking_id, r.status.label(), r.title))
                        .collect();
                    out.say(None, "Status laporan", &lines.join("\n"));
                }
                return Ok(None);
            }
            Some(Command::Withdraw) => {
                let target = match (&quoted, open.as_slice()) {
                    (Some(t), _) => reports.iter().find(|r| &r.tracking_id == t),
                    (None, [one]) => Some(*one),
                    (None, _) => None,
                };
                let Some(target) = target else {
                    out.say(
                        None,
                        "Laporan mana yang dibatalkan?",
                        "Sebutkan nomor laporannya, misalnya: batal LG-4F7KQ2MZ8T",
                    );
                    return Ok(None);
                };
                let reason = words
                    .after_command()
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| "Dibatalkan oleh pelapor melalui pesan.".into());
                let action = Action::Withdraw { reason };
                match self.act_as_reporter(target, reporter_id, action, vec![]).await {
                    Ok(()) => out.say(
                        Some(target.id),
                        &format!("[{}] Laporan dibatalkan", target.tracking_id),
                        &format!("Laporan {} telah dibatalkan.", target.tracking_id),
                    ),
                    Err(e) if e.refusal().is_some() && target.status != ReportStatus::Baru => out.say(
                        Some(target.id),
                        &format!("[{}] Tidak dapat dibatalkan", target.tracking_id),
                        "Laporan ini sudah diteruskan ke instansi dan tidak dapat dibatalkan lagi. Anda tetap akan menerima perkembangannya.",
                    ),
                    Err(e) => refused(out, Some(target.id), target, e)?,
                }
                return Ok(Some(target.id));
            }
            Some(Command::New) => {
                let words = text
                    .split_once(char::is_whitespace)
                    .map(|(_, rest)| rest.trim().to_string());
                let fresh = ChatInput {
                    text: words,
                    ..input.clone()
                };
                return self.file_report(&fresh, out).await;
            }
            None => {}
        }

        // A quoted tracking ID must be one of the sender's own reports.
        let target = match &quoted {
            Some(t) => match reports.iter().find(|r| &r.tracking_id == t) {
                Some(r) => Some(r),
                None => {
                    out.say(
                        None,
                        "Nomor laporan tidak ditemukan",
                        &format!(
                            "Laporan {t} tidak terdaftar dari nomor/akun ini. Pesan Anda tidak ditambahkan ke laporan mana pun."
                        ),
                    );
                    return Ok(None);
                }
            },
            None => match open.as_slice() {
                [] => None,
                [one] => Some(*one),
                many => {
                    let choices: Vec<String> = many
                        .iter()
                        .map(|r| r.tracking_id.as_str().to_string())
                        .collect();
                    let lines: Vec<String> = many
                        .iter()
                        .enumerate()
                        .map(|(i, r)| format!("{}. {} – {}", i + 1, r.tracking_id, r.title))
                        .collect();
                    let waiting = serde_json::to_string(input)
                        .map_err(|e| ServiceError::Internal(e.to_string()))?;
                    self.store
                        .set_chat_pending(&ChatPending {
                            channel: input.channel,
                            address: input.from.clone(),
                            inbound_id: input.inbound_id,
                            payload: waiting,
                            choices,
                            asked_at: self.now(),
                        })
                        .await?;
                    out.say(
                        None,
                        "Untuk laporan yang mana?",
                        &format!(
                            "Anda punya beberapa laporan terbuka. Pesan ini untuk laporan yang mana? Balas dengan nomornya (1, 2, …):\n{}",
                            lines.join("\n")
                        ),
                    );
                    return Ok(None);
                }
            },
        };

        match target {
            Some(r) => {
                if let Some(done) = self.closing_step(r, reporter_id, &words, out).await? {
                    return Ok(Some(done));
                }
                self.add_to_report(r, reporter_id, input, out).await?;
                Ok(Some(r.id))
            }
            None => self.file_report(input, out).await,
        }
    }

    /// A report the agency finished: the reporter confirms (`ya`), rates (`5 tuntas`) or reopens
    /// (`buka <alasan>`). `None` when the words are none of these.
    async fn closing_step(
        &self,
        r: &ReportRecord,
        reporter_id: Option<i64>,
        words: &Words,
        out: &mut Outbox,
    ) -> Result<Option<i64>> {
        if !matches!(r.status, ReportStatus::Selesai | ReportStatus::Ditutup) {
            return Ok(None);
        }
        let tid = &r.tracking_id;
        let step = words.closing();
        let (action, done) = match step {
            None => return Ok(None),
            Some(Closing::Confirm) if r.status == ReportStatus::Selesai => (
                Action::Confirm,
                "Terima kasih. Laporan ditutup. Beri penilaian dengan membalas angka 1–5 dan TUNTAS, SEBAGIAN atau BELUM, misalnya: 5 tuntas".to_string(),
            ),
            Some(Closing::Confirm) => return Ok(None),
            Some(Closing::ScoreOnly(_)) => {
                out.say(
                    Some(r.id),
                    &format!("[{tid}] Penilaian"),
                    "Terima kasih. Apakah masalahnya TUNTAS, SEBAGIAN, atau BELUM tuntas? Balas misalnya: 4 sebagian",
                );
                return Ok(Some(r.id));
            }
            Some(Closing::Rate {
                score,
                outcome,
                comment,
            }) => (
                Action::Rate {
                    score: i64::from(score),
                    outcome: outcome.into(),
                    comment,
                },
                "Terima kasih atas penilaian Anda.".to_string(),
            ),
            Some(Closing::Reopen(reason)) if r.status == ReportStatus::Selesai => {
                match reason {
                    Some(reason) => (
                        Action::Reopen { reason },
                        "Laporan dibuka kembali dan dikembalikan ke instansi dengan batas respons baru.".to_string(),
                    ),
                    None => {
                        out.say(
                            Some(r.id),
                            &format!("[{tid}] Sebutkan alasannya"),
                            "Tulis apa yang belum beres, misalnya: buka lubangnya muncul lagi",
                        );
                        return Ok(Some(r.id));
                    }
                }
            }
            Some(Closing::Reopen(_)) => {
                out.say(
                    Some(r.id),
                    &format!("[{tid}] Tidak dapat dibuka kembali"),
                    "Laporan ini sudah ditutup. Kirim laporan baru bila masalahnya muncul lagi.",
                );
                return Ok(Some(r.id));
            }
        };
        match self.act_as_reporter(r, reporter_id, action, vec![]).await {
            Ok(()) => out.say(Some(r.id), &format!("[{tid}] Tercatat"), &done),
            Err(e) => refused(out, Some(r.id), r, e)?,
        }
        Ok(Some(r.id))
    }

    /// Words, photos or a location for an open report: the reporter's reply.
    async fn add_to_report(
        &self,
        r: &ReportRecord,
        reporter_id: Option<i64>,
        input: &ChatInput,
        out: &mut Outbox,
    ) -> Result<()> {
        let text = reply_text(input);
        let action = Action::Reply { text };
        match self
            .act_as_reporter(r, reporter_id, action, input.attachments.clone())
            .await
        {
            Ok(()) => out.say(
                Some(r.id),
                &format!("[{}] Ditambahkan", r.tracking_id),
                &format!(
                    "Pesan Anda ditambahkan ke laporan {}. Petugas akan membacanya.",
                    r.tracking_id
                ),
            ),
            Err(e) => refused(out, Some(r.id), r, e)?,
        }
        Ok(())
    }

    /// A first message: a new report in `baru`, answered with its number and secret link.
    async fn file_report(&self, input: &ChatInput, out: &mut Outbox) -> Result<Option<i64>> {
        let words = input.text.clone().unwrap_or_default();
        let body = if words.trim().is_empty() {
            match (&input.location, input.attachments.is_empty()) {
                (_, false) => "(Foto tanpa keterangan, dikirim melalui pesan.)".to_string(),
                (Some(_), true) => reply_text(input),
                (None, true) => String::new(),
            }
        } else {
            words
        };
        let (phone, email) = match input.channel {
            Channel::Whatsapp | Channel::Sms => (Some(input.from.clone()), None),
            Channel::Email => (None, Some(input.from.clone())),
            _ => (None, None),
        };
        // The subject, the sender's name and the place's name come from the provider, not from
        // the report's words: they are fitted to one line of the field's length instead of
        // refusing the report over what the citizen never typed.
        let report = ReportInput {
            kind: "pengaduan".into(),
            title: input
                .subject
                .as_deref()
                .map(|s| one_line(s, crate::reports::MAX_TITLE_CHARS))
                .unwrap_or_default(),
            body,
            latitude: input.location.as_ref().map(|l| l.0),
            longitude: input.location.as_ref().map(|l| l.1),
            address: input
                .location
                .as_ref()
                .and_then(|l| l.2.as_deref())
                .map(|a| one_line(a, crate::reports::MAX_ADDRESS_CHARS)),
            reporter: ReporterInput {
                name: input
                    .display_name
                    .as_deref()
                    .map(|n| one_line(n, crate::reports::MAX_NAME_CHARS)),
                phone,
                email,
                nik: None,
            },
            channel: input.channel,
            channel_address: Some(input.from.clone()),
            inbound_id: Some(input.inbound_id),
            attachments: input.attachments.clone(),
            ..Default::default()
        };
        match self.submit_report(&Caller::Public, report).await {
            Ok(s) => {
                let link = match &self.settings.public_url {
                    Some(u) => format!(
                        "\nIkuti perkembangannya di {u}/lacak/{}?kunci={} (tautan rahasia, jangan dibagikan).",
                        s.tracking_id,
                        s.secret.expose()
                    ),
                    None => String::new(),
                };
                out.say(
                    Some(s.id),
                    &format!("[{}] Laporan diterima", s.tracking_id),
                    &format!(
                        "Terima kasih, laporan Anda kami terima dengan nomor {}. Petugas akan memeriksanya dan meneruskannya ke instansi yang berwenang.{link}\nBalas pesan ini untuk menambah keterangan, foto atau lokasi. Ketik BANTUAN untuk perintah lain.",
                        s.tracking_id
                    ),
                );
                Ok(Some(s.id))
            }
            Err(e) => match e.refusal() {
                Some(r) => {
                    let why = if r.fields.is_empty() {
                        r.message(Lang::Id)
                    } else {
                        r.fields
                            .iter()
                            .map(|f| f.message(Lang::Id))
                            .collect::<Vec<_>>()
                            .join(" ")
                    };
                    out.say(
                        None,
                        "Laporan belum dapat diterima",
                        &format!(
                            "Laporan belum dapat kami terima: {why}\nCeritakan masalahnya dalam satu pesan: apa, di mana, sejak kapan."
                        ),
                    );
                    Ok(None)
                }
                None => Err(e),
            },
        }
    }

    /// The sender's reports, newest first.
    async fn reports_of(&self, reporter_id: i64) -> Result<Vec<ReportRecord>> {
        let filter = ReportFilter {
            reporter_id: Some(reporter_id),
            limit: 50,
            ..Default::default()
        };
        Ok(self.store.list_reports(&filter).await?.items)
    }

    /// The reporter acts, proven by the verified address their report was filed from.
    async fn act_as_reporter(
        &self,
        r: &ReportRecord,
        reporter_id: Option<i64>,
        action: Action,
        attachments: Vec<NewAttachment>,
    ) -> Result<()> {
        let owner = r.reporter.as_ref().map(|p| p.id);
        if reporter_id.is_none() || owner != reporter_id {
            return Err(ServiceError::refused(
                crate::RefusalKind::Forbidden,
                "reporter_secret_required",
            ));
        }
        let command = self.command(&action, r.id).await?;
        let actor = Actor::Reporter { reporter_id };
        self.execute(r.id, &actor, command, attachments).await?;
        Ok(())
    }
}

/// Answers to one message, keyed so that handling it again enqueues nothing twice.
struct Outbox {
    inbound_id: i64,
    channel: Option<NotifyChannel>,
    address: String,
    items: Vec<NewNotification>,
}

impl Outbox {
    fn new(inbound_id: i64, channel: Channel, address: &str) -> Self {
        Outbox {
            inbound_id,
            channel: NotifyChannel::for_report_channel(channel),
            address: address.to_string(),
            items: vec![],
        }
    }

    fn say(&mut self, report_id: Option<i64>, subject: &str, body: &str) {
        let Some(channel) = self.channel else {
            return;
        };
        let n = self.items.len();
        self.items.push(NewNotification {
            idempotency_key: format!("chat:{}:{n}", self.inbound_id),
            action: "chat_reply".into(),
            report_id,
            assignment_id: None,
            agency_id: None,
            recipient: RecipientKind::Reporter,
            user_id: None,
            channel,
            address: Some(self.address.clone()),
            subject: subject.to_string(),
            body: body.to_string(),
        });
    }
}

/// A refused action is told to the sender in Indonesian; anything else is an error to retry.
fn refused(
    out: &mut Outbox,
    report_id: Option<i64>,
    r: &ReportRecord,
    e: ServiceError,
) -> Result<()> {
    match e.refusal() {
        Some(refusal) => {
            let why = if refusal.fields.is_empty() {
                refusal.message(Lang::Id)
            } else {
                refusal
                    .fields
                    .iter()
                    .map(|f| f.message(Lang::Id))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            out.say(
                report_id,
                &format!("[{}] Tidak dapat diproses", r.tracking_id),
                &format!("{why} Tidak ada yang diubah."),
            );
            Ok(())
        }
        None => Err(e),
    }
}

fn is_open(s: ReportStatus) -> bool {
    !s.is_terminal()
}

/// What a reply adds to a report, in words.
fn reply_text(input: &ChatInput) -> String {
    let mut parts: Vec<String> = vec![];
    if let Some(t) = input
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        parts.push(t.to_string());
    }
    if let Some((lat, lon, label)) = &input.location {
        let label = label
            .as_deref()
            .map(|l| format!(" ({l})"))
            .unwrap_or_default();
        parts.push(format!("Lokasi yang dibagikan: {lat:.6}, {lon:.6}{label}"));
    }
    if let Some(c) = &input.shared_contact {
        parts.push(format!("Kontak yang dibagikan: {c}"));
    }
    if parts.is_empty() {
        parts.push("(Foto tambahan, dikirim melalui pesan.)".into());
    }
    parts.join("\n")
}

const STAFF_HELP: &str = "Untuk memperbarui laporan dari ponsel, balas: <NOMOR> <tahap> <catatan untuk pelapor>\n\
Tahap: verifikasi, cek lapangan, pengerjaan, tuntas, atau bukan wewenang <alasan>.\n\
Contoh: LG-4F7KQ2MZ8T cek lapangan tim sudah meluncur";

/// How an agency's staff answer a report from their registered phone: the end of every
/// notification to it (new assignments, deadline reminders).
pub fn staff_answer_hint(tracking_id: &str) -> String {
    format!(
        "Jawab dari ponsel ini: balas \"{tracking_id} <tahap> <catatan untuk pelapor>\".\n\
         Tahap: verifikasi, cek lapangan, pengerjaan, tuntas, atau bukan wewenang <alasan>.\n\
         Contoh: {tracking_id} cek lapangan tim sudah meluncur"
    )
}

fn citizen_help(prefix: &str) -> String {
    format!(
        "Kirim keluhan Anda dalam satu pesan (apa, di mana, sejak kapan); foto dan lokasi boleh menyusul.\n\
         Perintah:\n\
         STATUS – keadaan laporan Anda\n\
         STATUS {prefix}-… – keadaan satu laporan\n\
         BATAL – batalkan laporan yang belum diteruskan ke instansi\n\
         BARU <isi> – laporan baru, bila laporan lain masih terbuka\n\
         Setelah laporan selesai: YA (setuju selesai), angka 1–5 dan TUNTAS/SEBAGIAN/BELUM (penilaian), BUKA <alasan> (buka kembali)."
    )
}

fn default_note(stage: Stage) -> &'static str {
    match stage {
        Stage::Verifikasi => "Laporan sedang diverifikasi oleh instansi.",
        Stage::CekLapangan => "Petugas melakukan pengecekan ke lapangan.",
        Stage::Pengerjaan => "Penanganan sedang dikerjakan.",
        Stage::Tuntas => "Penanganan telah selesai.",
        _ => "Perkembangan dari instansi.",
    }
}

// ----- reading the words ------------------------------------------------------------------------

/// A name or subject a provider sent, as one line of at most `max` characters: control
/// characters (line breaks and tabs) become spaces, runs of spaces one, and a longer text is
/// cut with `…`.
fn one_line(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if c == ' ' && out.ends_with(' ') {
            continue;
        }
        out.push(c);
    }
    let out = out.trim();
    if out.chars().count() > max {
        let cut: String = out.chars().take(max - 1).collect();
        format!("{}…", cut.trim_end())
    } else {
        out.to_string()
    }
}

/// The first word of `text` that is a tracking ID with this deployment's prefix.
///
/// The ID must keep the prefix once parsed: without a hyphen the prefix is what the ten symbols
/// leave, so `LGmlapangan` parses as `L-GM1APANGAN`, which is not ours.
pub fn find_tracking_id(text: &str, prefix: &str) -> Option<TrackingId> {
    let ours = format!("{}-", prefix.to_ascii_uppercase());
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | ':' | ';' | '(' | ')' | '#'))
        .filter(|w| {
            w.len() > prefix.len()
                && w.get(..prefix.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        })
        .filter_map(|w| TrackingId::parse(w).ok())
        .find(|id| id.as_str().starts_with(&ours))
}

/// What a staff member's reply asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffReply {
    pub tracking_id: TrackingId,
    pub stage: StaffStep,
    /// The note for the citizen (`None`: the stage's standard words).
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffStep {
    Stage(Stage),
    /// `bukan wewenang <alasan>`: returned as not this agency's authority.
    NotOurs,
}

impl StaffStep {
    fn label(self) -> &'static str {
        match self {
            StaffStep::Stage(s) => s.label(),
            StaffStep::NotOurs => Stage::BukanWewenang.label(),
        }
    }
}

/// `LG-4F7KQ2MZ8T cek lapangan tim sudah meluncur` → the report, the stage and the note.
pub fn parse_staff_reply(text: &str, prefix: &str) -> Option<StaffReply> {
    let mut rest = text.trim();
    let first = rest.split_whitespace().next()?;
    let tracking_id = find_tracking_id(first, prefix)?;
    rest = rest[first.len()..].trim_start_matches([' ', ':', '-', '\n', '\t']);
    const STEPS: &[(&str, StaffStep)] = &[
        ("cek lapangan", StaffStep::Stage(Stage::CekLapangan)),
        ("cek_lapangan", StaffStep::Stage(Stage::CekLapangan)),
        ("ceklapangan", StaffStep::Stage(Stage::CekLapangan)),
        ("verifikasi", StaffStep::Stage(Stage::Verifikasi)),
        ("pengerjaan", StaffStep::Stage(Stage::Pengerjaan)),
        ("dikerjakan", StaffStep::Stage(Stage::Pengerjaan)),
        ("tuntas", StaffStep::Stage(Stage::Tuntas)),
        ("selesai", StaffStep::Stage(Stage::Tuntas)),
        ("bukan wewenang", StaffStep::NotOurs),
        ("bukan_wewenang", StaffStep::NotOurs),
        ("cek", StaffStep::Stage(Stage::CekLapangan)),
    ];
    // The stage words are ASCII and compared without regard to ASCII case, on `rest` itself:
    // a lower-cased copy can differ in length (the Kelvin sign `K` lower-cases to `k`), and its
    // offsets would cut `rest` in the wrong place or inside a character.
    let (word, stage) = STEPS.iter().find(|(w, _)| {
        rest.get(..w.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(w))
            && rest[w.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric())
    })?;
    let note = rest[word.len()..]
        .trim_start_matches([' ', ':', '-', ',', '.', '\n', '\t'])
        .trim();
    Some(StaffReply {
        tracking_id,
        stage: *stage,
        note: (!note.is_empty()).then(|| note.to_string()),
    })
}

/// An interactive button's payload `tahap:<NOMOR>:<stage code>`.
pub fn parse_stage_button(payload: &str) -> Option<StaffReply> {
    let mut parts = payload.splitn(3, ':');
    if parts.next()? != "tahap" {
        return None;
    }
    let tracking_id = TrackingId::parse(parts.next()?).ok()?;
    let stage = Stage::parse(parts.next()?)?;
    let step = match stage {
        Stage::Verifikasi | Stage::CekLapangan | Stage::Pengerjaan | Stage::Tuntas => {
            StaffStep::Stage(stage)
        }
        _ => return None,
    };
    Some(StaffReply {
        tracking_id,
        stage: step,
        note: None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Help,
    Status,
    Withdraw,
    /// `baru <isi>`: a new report while another is open.
    New,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Closing {
    Confirm,
    ScoreOnly(u8),
    Rate {
        score: u8,
        outcome: &'static str,
        comment: Option<String>,
    },
    /// `buka <alasan>`; the reason may be missing.
    Reopen(Option<String>),
}

/// A citizen's message, as words.
struct Words {
    text: String,
    lower: Vec<String>,
}

impl Words {
    fn of(text: &str) -> Words {
        Words {
            text: text.trim().to_string(),
            lower: text
                .split_whitespace()
                .map(|w| {
                    w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-')
                        .to_lowercase()
                })
                .filter(|w| !w.is_empty())
                .collect(),
        }
    }

    fn len(&self) -> usize {
        self.lower.len()
    }

    fn is_empty(&self) -> bool {
        self.lower.is_empty()
    }

    fn command(&self) -> Option<Command> {
        let first = self.lower.first()?.as_str();
        match first {
            "bantuan" | "help" | "menu" | "info" if self.len() == 1 => Some(Command::Help),
            "status" | "cek" if self.len() <= 2 => Some(Command::Status),
            "batal" | "batalkan" => Some(Command::Withdraw),
            "baru" | "lapor" if self.len() >= 3 => Some(Command::New),
            _ => None,
        }
    }

    /// The words after the command word (and a tracking ID right after it).
    fn after_command(&self) -> Option<String> {
        let mut it = self.text.splitn(2, char::is_whitespace);
        it.next()?;
        let rest = it.next().unwrap_or("").trim();
        let mut it = rest.splitn(2, char::is_whitespace);
        let first = it.next().unwrap_or("");
        if TrackingId::parse(first).is_ok() {
            return Some(it.next().unwrap_or("").trim().to_string());
        }
        Some(rest.to_string())
    }

    /// `2` (or `2.`) answering a list of `n` choices: its index.
    fn choice(&self, n: usize) -> Option<usize> {
        if self.len() != 1 {
            return None;
        }
        let i: usize = self.lower[0].parse().ok()?;
        (1..=n).contains(&i).then(|| i - 1)
    }

    fn closing(&self) -> Option<Closing> {
        let first = self.lower.first()?.as_str();
        match first {
            "ya" | "setuju" | "oke" | "ok" if self.len() <= 2 => return Some(Closing::Confirm),
            "buka" | "belum" if self.lower.get(1).is_none_or(|w| w.parse::<u8>().is_err()) => {
                let reason = self
                    .text
                    .split_once(char::is_whitespace)
                    .map(|(_, r)| r.trim().to_string())
                    .filter(|r| !r.is_empty());
                if first == "buka" || reason.is_some() {
                    return Some(Closing::Reopen(reason));
                }
                return None;
            }
            _ => {}
        }
        let score: u8 = first.parse().ok().filter(|s| (1..=5).contains(s))?;
        let outcome = match self.lower.get(1).map(String::as_str) {
            None => return Some(Closing::ScoreOnly(score)),
            Some("tuntas") => "fixed",
            Some("sebagian") => "partly",
            Some("belum") => "not_fixed",
            Some(_) => return Some(Closing::ScoreOnly(score)),
        };
        let comment = self
            .text
            .splitn(3, char::is_whitespace)
            .nth(2)
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty());
        Some(Closing::Rate {
            score,
            outcome,
            comment,
        })
    }
}

/// The reference of a connector e-mail, `[ref:0123abcd…]`, in a reply's subject.
pub fn connector_reference(subject: &str) -> Option<&str> {
    let start = subject.find("[ref:")? + 5;
    let rest = &subject[start..];
    let end = rest.find(']')?;
    let token = rest[..end].trim();
    (!token.is_empty() && token.len() <= 64 && token.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(token)
}

impl Services {
    /// A reply to a connector e-mail from the agency's own address: its first line is the
    /// stage (`CEK_LAPANGAN`, `cek lapangan`, …), the rest the note. Anyone else's e-mail, or
    /// one without the reference, is a citizen's message as usual.
    async fn connector_reply(&self, input: &ChatInput, out: &mut Outbox) -> Result<Option<i64>> {
        use crate::connectors::{RemoteOutcome, RemoteRef, RemoteUpdateInput};
        if input.channel != Channel::Email {
            return Ok(None);
        }
        let Some(token) = input.subject.as_deref().and_then(connector_reference) else {
            return Ok(None);
        };
        let Some(link) = self.store.connector_link_by_token(token).await? else {
            return Ok(None);
        };
        let Some(connector) = self.connector_for_sending(&link.agency_id).await? else {
            return Ok(None);
        };
        if connector.kind != tanggap_store::ConnectorKind::Email
            || !connector.target.eq_ignore_ascii_case(input.from.trim())
        {
            return Ok(None);
        }
        let text = input.text.as_deref().unwrap_or_default().trim();
        let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
        let status: String = first
            .trim()
            .trim_end_matches(['.', ':', '!'])
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("_")
            .to_ascii_uppercase();
        let outcome = self
            .record_remote_update(RemoteUpdateInput {
                agency_id: link.agency_id.clone(),
                reference: RemoteRef::Token(token.to_string()),
                update_id: format!("email:{}", input.inbound_id),
                status: status.clone(),
                description: Some(rest.trim().to_string()).filter(|r| !r.is_empty()),
                at: self.now(),
            })
            .await;
        let tid = self
            .store
            .report(link.report_id)
            .await?
            .map(|r| r.tracking_id.to_string())
            .unwrap_or_default();
        let (subject, body) = match outcome {
            Ok(RemoteOutcome::Recorded { stage, .. }) => (
                format!("[ref:{token}] Perkembangan dicatat"),
                format!(
                    "Perkembangan laporan {tid} dicatat: tahap {}.",
                    stage.label()
                ),
            ),
            Ok(RemoteOutcome::Duplicate) => return Ok(Some(link.report_id)),
            Ok(RemoteOutcome::Unmapped) | Err(ServiceError::Refused(_)) => (
                format!("[ref:{token}] Perkembangan belum dicatat"),
                format!(
                    "Tahap \"{first}\" tidak dikenali untuk laporan {tid}. Tulis tahapnya di baris \
                     pertama: VERIFIKASI, CEK_LAPANGAN, PENGERJAAN, TUNTAS, atau BUKAN_WEWENANG."
                ),
            ),
            Ok(RemoteOutcome::Refused(code)) => (
                format!("[ref:{token}] Perkembangan tidak dapat dicatat"),
                format!(
                    "Perkembangan laporan {tid} tidak dapat dicatat ({code}): tahap tidak boleh \
                     mundur, dan laporan yang sudah selesai tidak dapat diubah."
                ),
            ),
            Err(e) => return Err(e),
        };
        out.say(Some(link.report_id), &subject, &body);
        Ok(Some(link.report_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connector_reference_is_read_from_the_subject_only_in_its_form() {
        assert_eq!(
            connector_reference("Re: [Tanggap LG-ABCD] Laporan [ref:0a1b2c3d4e5f]"),
            Some("0a1b2c3d4e5f")
        );
        for s in [
            "Re: laporan",
            "[ref:]",
            "[ref:zz-top]",
            "[ref:0a1b",
            "[ref:0a1b 2c]",
        ] {
            assert_eq!(connector_reference(s), None, "{s}");
        }
    }

    #[test]
    fn staff_replies_name_the_report_the_stage_and_the_note() {
        let r = parse_staff_reply("LG-4F7KQ2MZ8T cek lapangan tim sudah meluncur", "LG").unwrap();
        assert_eq!(r.tracking_id.as_str(), "LG-4F7KQ2MZ8T");
        assert_eq!(r.stage, StaffStep::Stage(Stage::CekLapangan));
        assert_eq!(r.note.as_deref(), Some("tim sudah meluncur"));
        let r = parse_staff_reply("lg4f7kq2mz8t: Tuntas. Jalan sudah ditambal", "LG").unwrap();
        assert_eq!(r.stage, StaffStep::Stage(Stage::Tuntas));
        assert_eq!(r.note.as_deref(), Some("Jalan sudah ditambal"));
        let r = parse_staff_reply("LG-4F7KQ2MZ8T verifikasi", "LG").unwrap();
        assert_eq!(r.note, None);
        let r = parse_staff_reply("LG-4F7KQ2MZ8T bukan wewenang jalan nasional", "LG").unwrap();
        assert_eq!(r.stage, StaffStep::NotOurs);
        assert_eq!(r.note.as_deref(), Some("jalan nasional"));
        for bad in [
            "cek lapangan LG-4F7KQ2MZ8T",
            "LG-4F7KQ2MZ8T sudah saya lihat",
            "LG-4F7KQ2MZ8T cekok",
            "halo",
            "",
            "XX-4F7KQ2MZ8T tuntas",
        ] {
            assert_eq!(parse_staff_reply(bad, "LG"), None, "{bad}");
        }
    }

    #[test]
    fn a_providers_name_or_subject_is_fitted_to_one_line() {
        assert_eq!(one_line("Sri\nBudi\t Santoso\r", 120), "Sri Budi Santoso");
        assert_eq!(one_line("Budi", 120), "Budi");
        let long = "Budi Santoso ".repeat(15);
        let name = one_line(&long, 120);
        assert_eq!(name.chars().count(), 120, "{name}");
        assert!(name.ends_with('…') && name.starts_with("Budi Santoso Budi"));
        assert_eq!(one_line("\u{1F6A7}\u{2028}x", 2), "\u{1F6A7}…");
    }

    #[test]
    fn staff_replies_are_cut_where_the_stage_word_ends() {
        // Found by fuzz/fuzz_targets/chat_words.rs: the stage was looked for in a lower-cased
        // copy and the note cut from the original at the copy's offsets. The Kelvin sign
        // (U+212A, three bytes) lower-cases to `k`: the note lost two letters, or the cut fell
        // inside the sign and panicked.
        let r = parse_staff_reply("LG-4F7KQ2MZ8T ce\u{212A} lapangan sudah", "LG");
        assert_eq!(r, None);
        assert_eq!(parse_staff_reply("LG-4F7KQ2MZ8T ce\u{212A} x", "LG"), None);
        let r = parse_staff_reply("LG-4F7KQ2MZ8T CEK LAPANGAN sudah", "LG").unwrap();
        assert_eq!(r.stage, StaffStep::Stage(Stage::CekLapangan));
        assert_eq!(r.note.as_deref(), Some("sudah"));
        let r = parse_staff_reply("LG-4F7KQ2MZ8T verifikasi \u{212A}eterangan", "LG").unwrap();
        assert_eq!(r.note.as_deref(), Some("\u{212A}eterangan"));
    }

    #[test]
    fn buttons_carry_report_and_stage() {
        let r = parse_stage_button("tahap:LG-4F7KQ2MZ8T:pengerjaan").unwrap();
        assert_eq!(r.stage, StaffStep::Stage(Stage::Pengerjaan));
        assert_eq!(parse_stage_button("tahap:LG-4F7KQ2MZ8T:diteruskan"), None);
        assert_eq!(parse_stage_button("rate:5"), None);
    }

    #[test]
    fn a_word_that_parses_with_another_prefix_is_not_ours() {
        // Found by fuzz/fuzz_targets/chat_words.rs: `LGmlapangan` is `L-GM1APANGAN`.
        assert_eq!(find_tracking_id("LGmlapangan sudah", "LG"), None);
        assert_eq!(
            find_tracking_id("LGmlapangan LG4F7KQ2MZ8T", "LG").map(|t| t.to_string()),
            Some("LG-4F7KQ2MZ8T".into())
        );
    }

    #[test]
    fn tracking_ids_are_found_only_with_the_prefix() {
        assert_eq!(
            find_tracking_id("status LG-4F7KQ2MZ8T ya", "LG").map(|t| t.to_string()),
            Some("LG-4F7KQ2MZ8T".into())
        );
        assert_eq!(find_tracking_id("pemerintahan kabupaten", "LG"), None);
        assert!(find_tracking_id("lihat (lg-4f7k-q2mz-8t).", "LG").is_some());
        assert!(find_tracking_id("lihat (lg-4f7kq2mz8t).", "LG").is_some());
    }

    #[test]
    fn citizens_words() {
        assert_eq!(Words::of("Bantuan").command(), Some(Command::Help));
        assert_eq!(Words::of("status").command(), Some(Command::Status));
        assert_eq!(
            Words::of("STATUS LG-4F7KQ2MZ8T").command(),
            Some(Command::Status)
        );
        assert_eq!(
            Words::of("status jalan di desa kami rusak parah").command(),
            None
        );
        assert_eq!(
            Words::of("batal sudah diperbaiki warga").command(),
            Some(Command::Withdraw)
        );
        assert_eq!(
            Words::of("batal LG-4F7KQ2MZ8T salah kirim")
                .after_command()
                .as_deref(),
            Some("salah kirim")
        );
        assert_eq!(
            Words::of("baru pohon tumbang di jalan").command(),
            Some(Command::New)
        );
        assert_eq!(Words::of("baru saja").command(), None);
        assert_eq!(Words::of("2").choice(3), Some(1));
        assert_eq!(Words::of("4").choice(3), None);
        assert_eq!(Words::of("ya").closing(), Some(Closing::Confirm));
        assert_eq!(Words::of("5").closing(), Some(Closing::ScoreOnly(5)));
        assert_eq!(
            Words::of("4 sebagian masih ada lubang kecil").closing(),
            Some(Closing::Rate {
                score: 4,
                outcome: "partly",
                comment: Some("masih ada lubang kecil".into())
            })
        );
        assert_eq!(
            Words::of("buka lubangnya muncul lagi").closing(),
            Some(Closing::Reopen(Some("lubangnya muncul lagi".into())))
        );
        assert_eq!(Words::of("buka").closing(), Some(Closing::Reopen(None)));
        assert_eq!(Words::of("9 tuntas").closing(), None);
        assert_eq!(Words::of("jalan masih rusak").closing(), None);
    }
}
