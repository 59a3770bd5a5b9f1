//! The words of every refusal, in Bahasa Indonesia and English, keyed by the refusal's stable
//! code. Doors never write their own: they call [`crate::Refusal::message`] or
//! [`crate::FieldError::message`] with their caller's language.

use crate::refusal::{Args, FieldError, Lang, Refusal};
use tanggap_domain::{ReportStatus, Stage};

fn arg<'a>(args: &'a Args, name: &str) -> &'a str {
    args.iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, v)| v.as_str())
}

fn pick(lang: Lang, id: String, en: String) -> String {
    match lang {
        Lang::Id => id,
        Lang::En => en,
    }
}

/// A field's name for people.
fn field_label(field: &str, lang: Lang) -> &'static str {
    let (id, en) = match field {
        "title" => ("Judul", "The title"),
        "body" => ("Isi laporan", "The description"),
        "kind" => ("Jenis laporan", "The kind"),
        "note" => ("Catatan", "The note"),
        "reason" => ("Alasan", "The reason"),
        "text" => ("Pesan", "The message"),
        "question" => ("Pertanyaan", "The question"),
        "comment" => ("Komentar", "The comment"),
        "address" => ("Alamat", "The address"),
        "region_code" | "kabkota" => ("Wilayah", "The region"),
        "category" => ("Kategori", "The category"),
        "visibility" => ("Pilihan kerahasiaan", "The visibility"),
        "stage" => ("Tahap", "The stage"),
        "score" => ("Nilai", "The score"),
        "outcome" => ("Hasil", "The outcome"),
        "agencies" | "agency_id" | "default_agency_id" | "parent_id" => ("Instansi", "The agency"),
        "agencies.role" => ("Peran instansi", "The agency's role"),
        "master_tracking_id" => ("Nomor laporan induk", "The master report"),
        "channel" => ("Kanal", "The channel"),
        "name" | "reporter.name" | "display_name" => ("Nama", "The name"),
        "reporter.phone" | "phone" | "head_phone" => ("Nomor telepon", "The phone number"),
        "reporter.email" | "email" | "head_email" => ("Alamat e-mail", "The e-mail address"),
        "reporter.nik" => ("NIK", "The NIK"),
        "head_name" => ("Nama kepala", "The head's name"),
        "head_position" => ("Jabatan kepala", "The head's position"),
        "username" => ("Nama pengguna", "The username"),
        "password" => ("Kata sandi", "The password"),
        "current_password" => ("Kata sandi sekarang", "The current password"),
        "new_password" => ("Kata sandi baru", "The new password"),
        "integration" => ("Akun integrasi", "The integration flag"),
        "role" => ("Peran", "The role"),
        "code" => ("Kode", "The code"),
        "name_id" | "name_en" => ("Nama kategori", "The category name"),
        "keywords" => ("Kata kunci", "The keywords"),
        "date" => ("Tanggal", "The date"),
        "quarter" => ("Kuartal", "The quarter"),
        "preset" => ("Preset", "The preset"),
        "policy" => ("Kebijakan SLA", "The SLA policy"),
        "foto" | "attachments" => ("Berkas", "The file"),
        "decision" => ("Keputusan", "The decision"),
        "areas" => ("Area yang ditutup", "The areas to black out"),
        "occurred_on" => ("Tanggal kejadian", "The date of the incident"),
        "latitude" | "longitude" => ("Koordinat lokasi", "The location coordinates"),
        "lat" => ("Garis lintang (lat)", "The latitude (lat)"),
        "long" => ("Garis bujur (long)", "The longitude (long)"),
        "location" => (
            "Lokasi (lat/long, address_string atau address_id)",
            "The location (lat/long, address_string or address_id)",
        ),
        "service_code" => ("Kode layanan (service_code)", "The service code"),
        "service_request_id" => (
            "Nomor laporan (service_request_id)",
            "The service request ID",
        ),
        "description" => ("Uraian (description)", "The description"),
        "status" => ("Status", "The status"),
        "start_date" => ("Tanggal awal (start_date)", "The start date"),
        "end_date" => ("Tanggal akhir (end_date)", "The end date"),
        "page" | "page_size" => ("Halaman (page, page_size)", "The page"),
        "user_id" => ("Akun integrasi", "The integration account"),
        "target" => ("Alamat sistem instansi", "The agency system's address"),
        "secret" => ("Kunci rahasia", "The secret"),
        "status_map" => ("Pemetaan status", "The status map"),
        "update_id" => ("Nomor pembaruan (update_id)", "The update ID"),
        "attribute[judul]" => ("Judul (attribute[judul])", "The title (attribute[judul])"),
        "address_string" => ("Alamat (address_string)", "The address (address_string)"),
        "address_id" => ("Wilayah (address_id)", "The region (address_id)"),
        "first_name" | "last_name" => ("Nama", "The name"),
        f if f.starts_with("attribute[") => ("Atribut layanan", "The service attribute"),
        _ => ("Isian", "This field"),
    };
    match lang {
        Lang::Id => id,
        Lang::En => en,
    }
}

fn size(bytes: &str, lang: Lang) -> String {
    let b: usize = bytes.parse().unwrap_or(0);
    let mib = 1024 * 1024;
    if b >= mib && b.is_multiple_of(mib) {
        format!("{} MB", b / mib)
    } else if b >= 1024 {
        format!("{} KB", b / 1024)
    } else {
        match lang {
            Lang::Id => format!("{b} bita"),
            Lang::En => format!("{b} bytes"),
        }
    }
}

/// What to fix in one field.
pub fn field_message(e: &FieldError, lang: Lang) -> String {
    let a = &e.args;
    let label = field_label(&e.field, lang);
    let file = |m: String| match arg(a, "filename") {
        "" => m,
        f => format!("{f}: {m}"),
    };
    // Wording written for one field, where a generic sentence would help the citizen less.
    let specific = match (e.field.as_str(), e.code) {
        ("Idempotency-Key", "invalid") => Some((
            "Header Idempotency-Key harus 1 sampai 255 karakter ASCII yang terlihat.".into(),
            "The Idempotency-Key header must be 1 to 255 visible ASCII characters.".into(),
        )),
        ("Idempotency-Key", "reused") => Some((
            "Kunci Idempotency-Key ini sudah dipakai untuk laporan lain dalam 24 jam terakhir; pakai kunci baru untuk laporan baru.".into(),
            "This Idempotency-Key was used for a different report in the last 24 hours; use a new key for a new report.".into(),
        )),
        ("kind", "invalid") => Some((
            "Pilih jenis laporan: pengaduan, aspirasi atau permintaan informasi.".into(),
            "Choose a kind: pengaduan, aspirasi or permintaan_informasi.".into(),
        )),
        ("title", "required") => Some((
            "Judul laporan wajib diisi.".into(),
            "A title is required.".into(),
        )),
        ("body", "too_short") => Some((
            format!(
                "Ceritakan laporan Anda (minimal {} karakter).",
                arg(a, "min")
            ),
            format!(
                "Describe the problem (at least {} characters).",
                arg(a, "min")
            ),
        )),
        ("occurred_on", "future") => Some((
            "Tanggal kejadian tidak boleh di masa depan.".into(),
            "The date of the incident cannot be in the future.".into(),
        )),
        ("occurred_on", "too_old") => Some((
            "Tanggal kejadian terlalu lama.".into(),
            "The date of the incident is too long ago.".into(),
        )),
        ("occurred_on", "invalid") => Some((
            "Tanggal kejadian harus berformat TTTT-BB-HH.".into(),
            "The date must be written YYYY-MM-DD.".into(),
        )),
        ("target", "invalid") => Some((
            "Alamat sistem instansi harus berupa URL http(s) (Open311, webhook) atau alamat e-mail.".into(),
            "The agency system's address must be an http(s) URL (Open311, webhook) or an e-mail address.".into(),
        )),
        ("status_map", "invalid") => Some((
            "Pemetaan status ditulis STATUS=tahap, dipisah koma; tahap: verifikasi, cek_lapangan, pengerjaan, tuntas, bukan_wewenang.".into(),
            "Write the status map as STATUS=stage, separated by commas; stages: verifikasi, cek_lapangan, pengerjaan, tuntas, bukan_wewenang.".into(),
        )),
        ("quarter", "invalid") => Some((
            "Kuartal harus berformat TTTT-Qn, misalnya 2026-Q3.".into(),
            "The quarter must be written YYYY-Qn, e.g. 2026-Q3.".into(),
        )),
        ("region_code", "invalid") => Some((
            "Kode wilayah tidak dikenal.".into(),
            "Unknown region code.".into(),
        )),
        ("decision", "invalid") => Some((
            "Pilih: tampilkan, sembunyikan, atau tampilkan dengan area ditutup.".into(),
            "Choose: publish, hide, or publish with areas blacked out.".into(),
        )),
        ("decision", "not_an_image") => Some((
            "Hanya foto yang dapat ditutup sebagian; dokumen hanya dapat ditampilkan atau disembunyikan.".into(),
            "Only photos can be partly blacked out; documents can only be published or hidden.".into(),
        )),
        ("decision", "cannot_redact") => Some((
            "Foto ini tidak dapat diolah untuk ditutup sebagian; sembunyikan saja.".into(),
            "This photo cannot be processed for blacking out; hide it instead.".into(),
        )),
        ("areas", "required") => Some((
            "Tandai minimal satu area yang ditutup (x, y, lebar, tinggi dalam persen).".into(),
            "Mark at least one area to black out (x, y, width, height in percent).".into(),
        )),
        ("areas", "too_many_areas") => Some((
            format!("Paling banyak {} area per foto.", arg(a, "max")),
            format!("At most {} areas per photo.", arg(a, "max")),
        )),
        ("areas", "area_outside") => Some((
            format!(
                "Area ke-{} harus berada di dalam foto: x dan y mulai 0, lebar dan tinggi lebih dari 0, x + lebar dan y + tinggi paling banyak 100.",
                arg(a, "index")
            ),
            format!(
                "Area {} must lie inside the photo: x and y from 0, width and height above 0, x + width and y + height at most 100.",
                arg(a, "index")
            ),
        )),
        ("region_code", "unknown") => {
            Some(("Wilayah tidak ditemukan.".into(), "Unknown region.".into()))
        }
        ("kabkota", "required") => Some((
            "Pilih kabupaten/kota tempat kejadian.".into(),
            "Choose the regency or city where it happened.".into(),
        )),
        ("latitude", "invalid") | ("longitude", "invalid") => Some((
            "Koordinat lokasi tidak valid.".into(),
            "The location coordinates are not valid.".into(),
        )),
        ("visibility", "invalid") => Some((
            "Pilihan kerahasiaan: publik, anonim dan/atau rahasia.".into(),
            "Visibility is publik, or anonim and/or rahasia.".into(),
        )),
        ("reporter.phone", "invalid") | ("head_phone", "invalid") | ("phone", "invalid") => Some((
            "Nomor telepon tidak valid: gunakan format 08xx atau +628xx.".into(),
            "The phone number is not valid: use 08xx or +628xx.".into(),
        )),
        ("reporter.phone", "required") => Some((
            "Isi nomor telepon atau e-mail agar kami dapat menghubungi Anda.".into(),
            "Give a phone number or e-mail address so that we can reach you.".into(),
        )),
        ("reporter.nik", "invalid") => Some((
            "NIK terdiri dari 16 angka.".into(),
            "A NIK has 16 digits.".into(),
        )),
        ("category", "unknown") => {
            Some(("Kategori tidak dikenal.".into(), "Unknown category.".into()))
        }
        ("stage", "invalid") => Some(("Tahap tidak dikenal.".into(), "Unknown stage.".into())),
        ("stage", "not_progress_stage") => Some((
            "Pilih tahap: verifikasi, cek lapangan, pengerjaan atau tuntas.".into(),
            "Choose a stage: verifikasi, cek_lapangan, pengerjaan or tuntas.".into(),
        )),
        ("outcome", "invalid") => Some((
            "Pilih apakah masalahnya sudah tuntas, sebagian, atau belum.".into(),
            "Choose fixed, partly or not_fixed.".into(),
        )),
        ("score", "score_out_of_range") | ("score", "invalid") => Some((
            "Beri nilai 1 sampai 5.".into(),
            "The score is 1 to 5.".into(),
        )),
        ("agencies.role", "invalid") => Some((
            "Peran instansi: utama atau pendukung.".into(),
            "Role is utama or pendukung.".into(),
        )),
        ("agencies", "no_agency") => Some((
            "Pilih setidaknya satu instansi.".into(),
            "Choose at least one agency.".into(),
        )),
        ("agencies", "no_lead") => Some((
            "Pilih satu instansi utama.".into(),
            "Exactly one agency must be the lead (utama).".into(),
        )),
        ("agencies", "two_leads") => Some((
            "Laporan sudah punya instansi utama.".into(),
            "The report would have more than one lead agency (utama).".into(),
        )),
        ("agencies", "unknown_agency") | ("agency_id", "unknown") => Some((
            format!("Instansi `{}` tidak dikenal.", arg(a, "agency")),
            format!("Unknown agency `{}`.", arg(a, "agency")),
        )),
        ("agencies", "agency_listed_twice") => Some((
            format!("Instansi `{}` dipilih dua kali.", arg(a, "agency")),
            format!("Agency `{}` is listed twice.", arg(a, "agency")),
        )),
        ("agencies", "agency_already_assigned") => Some((
            format!(
                "Instansi `{}` sudah menerima disposisi laporan ini.",
                arg(a, "agency")
            ),
            format!("Agency `{}` already has this report.", arg(a, "agency")),
        )),
        ("agency_id", "not_sub_unit") => Some((
            "Laporan hanya dapat diteruskan ke unit di bawah instansi ini.".into(),
            format!(
                "`{}` is not a sub-unit of `{}`.",
                arg(a, "agency"),
                arg(a, "parent")
            ),
        )),
        ("master_tracking_id", "invalid") => Some((
            "Nomor laporan induk tidak valid.".into(),
            "Not a valid tracking ID.".into(),
        )),
        ("master_tracking_id", "unknown") => Some((
            "Laporan induk tidak ditemukan.".into(),
            "The master report does not exist.".into(),
        )),
        ("master_tracking_id", "self_duplicate") => Some((
            "Laporan tidak bisa menjadi duplikat dirinya sendiri.".into(),
            "A report cannot duplicate itself.".into(),
        )),
        ("master_tracking_id", "master_not_open") => Some((
            "Laporan induk itu sendiri duplikat atau sudah diarsipkan.".into(),
            "The master report is itself a duplicate or archived.".into(),
        )),
        ("parent_id", "cycle") => Some((
            "Induk tidak boleh instansi ini sendiri atau sub-unitnya.".into(),
            "The parent cannot be the agency itself or one of its sub-units.".into(),
        )),
        ("agency_id", "required") => Some((
            "Petugas dan kepala harus punya instansi.".into(),
            "Agency roles need an agency.".into(),
        )),
        ("agency_id", "not_allowed") => Some((
            "Peran ini tidak terikat instansi.".into(),
            "This role has no agency.".into(),
        )),
        ("username", "invalid") => Some((
            "Nama pengguna: 3-40 karakter a-z, 0-9, '.', '_' atau '-'.".into(),
            "Username: 3-40 characters of a-z, 0-9, '.', '_' or '-'.".into(),
        )),
        ("username", "taken") => Some((
            format!("Nama pengguna `{}` sudah dipakai.", arg(a, "username")),
            format!("The username `{}` is taken.", arg(a, "username")),
        )),
        ("password", "too_short") => Some((
            format!("Kata sandi minimal {} karakter.", arg(a, "min")),
            format!(
                "The password must have at least {} characters.",
                arg(a, "min")
            ),
        )),
        ("new_password", "too_short") => Some((
            format!("Kata sandi baru minimal {} karakter.", arg(a, "min")),
            format!(
                "The new password must have at least {} characters.",
                arg(a, "min")
            ),
        )),
        ("current_password", "wrong") => Some((
            "Kata sandi sekarang salah.".into(),
            "The current password is wrong.".into(),
        )),
        ("new_password", "unchanged") => Some((
            "Pilih kata sandi baru yang berbeda dari yang sekarang.".into(),
            "Choose a new password that differs from the current one.".into(),
        )),
        ("new_password", "mismatch") => Some((
            "Kedua isian kata sandi baru tidak sama.".into(),
            "The two new passwords do not match.".into(),
        )),
        ("foto" | "attachments", "total_too_large") => Some((
            format!(
                "Berkas terlalu besar bersama-sama: maksimal {} untuk semua berkas. Pilih lagi foto yang lebih kecil atau lebih sedikit.",
                size(arg(a, "limit"), Lang::Id)
            ),
            format!(
                "The files are too large together: at most {} for all files. Choose smaller or fewer photos again.",
                size(arg(a, "limit"), Lang::En)
            ),
        )),
        ("code", "invalid") => Some((
            "Kode kategori: huruf kecil, angka dan tanda hubung.".into(),
            "A category code has lowercase letters, digits and hyphens.".into(),
        )),
        ("kind", "invalid_agency_kind") => Some((
            "Jenis instansi tidak dikenal.".into(),
            "Unknown agency kind.".into(),
        )),
        ("kind", "invalid_holiday_kind") => Some((
            "Jenis: libur_nasional atau cuti_bersama.".into(),
            "Kind is libur_nasional or cuti_bersama.".into(),
        )),
        ("date", "invalid") => Some((
            "Tanggal harus berformat TTTT-BB-HH.".into(),
            "The date must be written YYYY-MM-DD.".into(),
        )),
        ("preset", "invalid") => Some((
            "Preset tidak dikenal: jateng atau nasional.".into(),
            "Unknown preset: jateng or nasional.".into(),
        )),
        ("policy", "invalid") => Some((
            format!("Kebijakan SLA tidak valid: {}", arg(a, "detail")),
            format!("The SLA policy is not valid: {}", arg(a, "detail")),
        )),
        ("channel", "invalid") => Some(("Kanal tidak dikenal.".into(), "Unknown channel.".into())),
        ("channel", "not_allowed") => Some((
            "Kanal ini tidak bisa dipilih lewat API.".into(),
            "This channel cannot be chosen through the API.".into(),
        )),
        _ => None,
    };
    if let Some((id, en)) = specific {
        return pick(lang, id, en);
    }
    let (id, en) = match e.code {
        "required" => (
            format!("{label} wajib diisi."),
            format!("{label} is required."),
        ),
        "too_long" => (
            format!("{label} paling banyak {} karakter.", arg(a, "max")),
            format!("{label} may have at most {} characters.", arg(a, "max")),
        ),
        "too_short" => (
            format!("{label} minimal {} karakter.", arg(a, "min")),
            format!("{label} needs at least {} characters.", arg(a, "min")),
        ),
        "unknown" => (
            format!("{label} tidak dikenal."),
            format!("{label} is unknown."),
        ),
        "control_characters" => (
            format!(
                "{label} berisi karakter kendali yang tidak diizinkan; hapus lalu ketik ulang."
            ),
            format!(
                "{label} contains control characters that are not allowed; remove them and type it again."
            ),
        ),
        "empty" => (
            file("Berkas kosong. Pilih berkas lain.".into()),
            file("The file is empty. Choose another file.".into()),
        ),
        "too_large" => (
            file(format!(
                "Berkas terlalu besar: maksimal {} per berkas.",
                size(arg(a, "limit"), Lang::Id)
            )),
            file(format!(
                "The file is too large: at most {} per file.",
                size(arg(a, "limit"), Lang::En)
            )),
        ),
        "unsupported_type" => (
            file(
                "Jenis berkas tidak didukung. Unggah foto (JPEG, PNG, atau WebP) atau dokumen PDF."
                    .into(),
            ),
            file(
                "Unsupported file type. Upload a photo (JPEG, PNG or WebP) or a PDF document."
                    .into(),
            ),
        ),
        "pdf_not_cleanable" => (
            file("Dokumen PDF ini tidak dapat dibersihkan dari data yang dapat mengungkap identitas (misalnya terkunci kata sandi atau rusak). Unggah sebagai foto atau simpan ulang PDF tanpa kata sandi.".into()),
            file("This PDF cannot be cleaned of data that could identify you (it may be password-protected or damaged). Upload it as a photo, or save it again without a password.".into()),
        ),
        "damaged" => (
            file("Berkas gambar rusak atau tidak utuh sehingga tidak dapat dibaca.".into()),
            file("The image file is damaged or incomplete and cannot be read.".into()),
        ),
        "too_many" => (
            format!(
                "Terlalu banyak berkas: maksimal {} berkas per unggahan.",
                arg(a, "limit")
            ),
            format!(
                "Too many files: at most {} files per upload.",
                arg(a, "limit")
            ),
        ),
        "before_start" => (
            "Tanggal akhir harus sesudah tanggal awal.".into(),
            "The end date must come after the start date.".into(),
        ),
        "span_too_long" => (
            format!("Rentang tanggal paling panjang {} hari.", arg(a, "max")),
            format!("The dates may span at most {} days.", arg(a, "max")),
        ),
        _ => (
            format!("{label} tidak valid."),
            format!("{label} is not valid."),
        ),
    };
    pick(lang, id, en)
}

fn permission_phrase(p: &str, lang: Lang) -> &'static str {
    let (id, en) = match p {
        "submit_report" => ("mengirim laporan", "submit a report"),
        "enter_report_on_behalf" => (
            "mencatat laporan telepon atau tatap muka",
            "enter a phone or walk-in report",
        ),
        "verify_report" => ("memverifikasi laporan", "verify a report"),
        "dispatch_report" => ("mendisposisikan laporan", "dispatch a report"),
        "mark_duplicate" => ("menandai laporan duplikat", "mark a report as a duplicate"),
        "archive_report" => ("mengarsipkan laporan", "archive a report"),
        "review_attachments" => (
            "meninjau foto dan dokumen laporan",
            "review a report's photos and documents",
        ),
        "write_to_reporter" => ("menulis kepada pelapor", "write to the reporter"),
        "work_assignment" => (
            "menindaklanjuti disposisi instansi",
            "work on an agency's assignment",
        ),
        "add_instruction" => ("memberi arahan pimpinan", "add a leadership instruction"),
        "act_as_reporter" => (
            "bertindak sebagai pelapor",
            "act as the reporter (send the report's secret)",
        ),
        "auto_close_report" => ("menutup laporan secara otomatis", "auto-close a report"),
        "recalendar_clocks" => ("menghitung ulang tenggat", "recompute deadlines"),
        "use_desk" => ("membuka meja pengaduan", "use the complaint desk"),
        "view_agency_queue" => ("melihat antrean instansi", "see an agency's queue"),
        "view_agency_dashboard" => ("melihat dasbor instansi", "see an agency's dashboard"),
        "view_leadership_dashboard" => ("melihat dasbor pimpinan", "see the leadership dashboard"),
        "read_audit_trail" => ("membaca jejak audit", "read the audit trail"),
        "view_head_contacts" => (
            "melihat kontak kepala instansi",
            "see agency heads' contacts",
        ),
        "view_users" => ("melihat daftar pengguna", "list the accounts"),
        "manage_users" => ("mengelola pengguna", "manage accounts"),
        "manage_reference_data" => ("mengubah data referensi", "change reference data"),
        "view_policy" => ("melihat kebijakan SLA", "read the SLA policy"),
        "manage_policy" => ("mengubah kebijakan SLA", "change the SLA policy"),
        "read_own_notifications" => ("membaca notifikasi", "read notifications"),
        "view_compliance" => (
            "melihat angka kepatuhan semua instansi",
            "read every agency's compliance figures",
        ),
        "manage_personal_data" => (
            "menangani permintaan data pribadi pelapor",
            "handle a reporter's personal-data request",
        ),
        "manage_outbox" => (
            "melihat dan mengirim ulang pesan yang gagal terkirim",
            "see and resend the messages that could not be sent",
        ),
        "record_remote_update" => (
            "mencatat perkembangan dari sistem instansi",
            "record progress reported by an agency's system",
        ),
        "manage_connectors" => (
            "mengatur konektor ke sistem instansi",
            "set up connectors to agencies' systems",
        ),
        "view_operations" => ("melihat kesehatan sistem", "see how the system is doing"),
        _ => ("melakukan ini", "do this"),
    };
    match lang {
        Lang::Id => id,
        Lang::En => en,
    }
}

fn status_or_stage(args: &Args, lang: Lang) -> String {
    let label_of = |code: &str| -> String {
        if let Some(s) = ReportStatus::parse(code) {
            return match lang {
                Lang::Id => format!("laporan berstatus \"{}\"", s.label()),
                Lang::En => format!("the report is `{code}`"),
            };
        }
        if let Some(s) = Stage::parse(code) {
            return match lang {
                Lang::Id => format!("disposisi pada tahap \"{}\"", s.label()),
                Lang::En => format!("the assignment is at stage `{code}`"),
            };
        }
        code.to_string()
    };
    match arg(args, "status") {
        "" => label_of(arg(args, "stage")),
        s => label_of(s),
    }
}

/// What happened and what to do.
pub fn refusal_message(r: &Refusal, lang: Lang) -> String {
    let a = &r.args;
    let (id, en): (String, String) = match r.code {
        "login_required" => (
            "Silakan masuk terlebih dahulu.".into(),
            "Log in (POST /api/v1/sessions) or send an API token in `Authorization: Bearer …`."
                .into(),
        ),
        "no_such_address" => (
            "Tidak ada apa-apa di alamat ini.".into(),
            "There is nothing at this address.".into(),
        ),
        "no_reporter" => (
            "Laporan ini tidak menyimpan identitas pelapor.".into(),
            "This report holds no reporter's details.".into(),
        ),
        // The same words whether the username exists, the password is wrong or the account is
        // locked: the answer must not tell which.
        "wrong_credentials" => (
            format!(
                "Nama pengguna atau kata sandi salah. Setelah {} kali salah berturut-turut akun dikunci sementara: tunggu {} menit lalu coba lagi.",
                arg(a, "max_failures"),
                arg(a, "lock_minutes")
            ),
            format!(
                "Wrong username or password. After {} wrong passwords in a row the account is locked for a while: wait {} minutes and try again.",
                arg(a, "max_failures"),
                arg(a, "lock_minutes")
            ),
        ),
        "password_change_required" => (
            "Kata sandi Anda ditetapkan oleh admin. Buat kata sandi baru terlebih dahulu.".into(),
            "Your password was set by an administrator: choose a new one first (POST /api/v1/me/password).".into(),
        ),
        "not_an_integration_account" => (
            "Token API hanya untuk akun integrasi. Buat akun integrasi untuk sistem yang memakai token.".into(),
            "API tokens are for integration accounts only; create an integration account for the system that uses the token.".into(),
        ),
        "integration_account" => (
            "Akun integrasi tidak memakai kata sandi; gunakan token API.".into(),
            "Integration accounts do not use a password; use an API token.".into(),
        ),
        "request_timeout" => (
            "Permintaan terlalu lama terkirim. Periksa sambungan lalu coba lagi.".into(),
            "The request took too long to arrive. Check the connection and try again.".into(),
        ),
        "signature_missing" => (
            "Permintaan tidak membawa tanda tangan penyedia layanan.".into(),
            "The request carries no signature from the provider.".into(),
        ),
        "signature_invalid" => (
            "Tanda tangan penyedia layanan tidak cocok.".into(),
            "The provider's signature does not match.".into(),
        ),
        "signature_stale" => (
            "Waktu pada tanda tangan berbeda lebih dari lima menit dari jam server; periksa jam sistem pengirim.".into(),
            "The signature's time is more than five minutes from the server's clock; check the sender's clock.".into(),
        ),
        "channel_off" => (
            "Kanal ini tidak aktif di layanan ini.".into(),
            "This channel is not set up on this service.".into(),
        ),
        "sender_not_allowed" => (
            "Alamat pengirim ini tidak diizinkan untuk kanal ini.".into(),
            "This sender's address may not post to this channel.".into(),
        ),
        "bad_token" => (
            "Token API tidak dikenal, dicabut, atau penggunanya dinonaktifkan.".into(),
            "The API token is unknown, revoked, or its user is deactivated.".into(),
        ),
        "reporter_secret_required" => (
            "Hanya pelapor yang dapat melakukan ini: buka laporan dengan tautan rahasia Anda.".into(),
            "Only the reporter may do this: send the report's secret in `X-Report-Secret`.".into(),
        ),
        "wrong_secret" => (
            "Kode rahasia tidak cocok dengan laporan ini. Gunakan tautan yang Anda terima saat mengirim laporan.".into(),
            "This secret does not open this report. Use the link you received when you submitted it.".into(),
        ),
        "confidential" => (
            "Laporan ini rahasia: buka dengan tautan rahasia yang diterima pelapor.".into(),
            "This report is confidential: open it with the secret link the reporter received."
                .into(),
        ),
        "outside_scope" => (
            "Laporan ini bukan disposisi instansi Anda atau unit di bawahnya.".into(),
            "This report is not assigned to your agency or its sub-units.".into(),
        ),
        "agency_outside_scope" => (
            format!("Instansi `{}` di luar lingkup instansi Anda.", arg(a, "agency")),
            format!("Agency `{}` is outside your agency's scope.", arg(a, "agency")),
        ),
        "role_not_allowed" => (
            format!(
                "Anda tidak berwenang {}.",
                permission_phrase(arg(a, "permission"), Lang::Id)
            ),
            format!(
                "Your role may not {}.",
                permission_phrase(arg(a, "permission"), Lang::En)
            ),
        ),
        "other_agency" => (
            "Disposisi ini milik instansi lain; Anda hanya dapat menindaklanjuti disposisi instansi Anda dan unit di bawahnya.".into(),
            "This assignment belongs to another agency; you may act only on your agency's and its sub-units' assignments.".into(),
        ),
        "csrf_token_missing" => (
            "Formulir kedaluwarsa. Muat ulang halaman lalu coba lagi.".into(),
            "This write came with the session cookie but without the session's CSRF token; send it in the `X-CSRF-Token` header (from the login response or GET /api/v1/me).".into(),
        ),
        "no_report_access" => (
            "Peran Anda tidak membaca laporan.".into(),
            "Your role does not read reports.".into(),
        ),
        "internal_attachment" => (
            "Berkas ini bagian dari catatan internal.".into(),
            "This file belongs to an internal note.".into(),
        ),
        "conversation_private" => (
            "Percakapan hanya untuk pelapor dan petugas yang menangani laporan.".into(),
            "The conversation is visible to the reporter and the staff handling the report only."
                .into(),
        ),
        "invalid_transition" => (
            format!(
                "Aksi ini tidak bisa dilakukan saat {}.",
                status_or_stage(a, Lang::Id)
            ),
            format!(
                "`{}` is not possible while {}.",
                arg(a, "action"),
                status_or_stage(a, Lang::En)
            ),
        ),
        "unknown_assignment" => (
            format!("Disposisi {} bukan bagian dari laporan ini.", arg(a, "assignment")),
            format!("Assignment {} is not part of this report.", arg(a, "assignment")),
        ),
        "report_not_found" => (
            format!("Tidak ada laporan bernomor `{}`.", arg(a, "tracking_id")),
            format!("No report has the tracking ID `{}`.", arg(a, "tracking_id")),
        ),
        "not_found" => match (arg(a, "what"), arg(a, "id")) {
            ("", _) => (
                "Data yang diminta tidak ditemukan.".into(),
                format!("{} not found.", arg(a, "detail")),
            ),
            (what, id) => {
                let what_id = match what {
                    "user" => "Pengguna",
                    "agency" => "Instansi",
                    "category" => "Kategori",
                    "holiday" => "Hari libur",
                    "token" => "Token API",
                    "attachment" => "Lampiran",
                    "notification" => "Notifikasi",
                    _ => "Data",
                };
                (
                    format!("{what_id} {id} tidak ditemukan."),
                    format!("No {what} {id}."),
                )
            }
        },
        "conflict" => (
            "Data itu sudah ada.".into(),
            format!("{}.", arg(a, "detail")),
        ),
        "concurrent_change" => (
            "Laporan sedang diubah orang lain pada saat yang sama; silakan coba lagi.".into(),
            "The report was changed by someone else at the same moment; please try again.".into(),
        ),
        "invalid_reference" => (
            "Ada rujukan ke data yang tidak ada.".into(),
            format!("{}.", arg(a, "detail")),
        ),
        "self_lockout" => (
            "Anda tidak bisa menonaktifkan diri sendiri atau melepas peran admin Anda.".into(),
            "You cannot deactivate yourself or drop your own admin role.".into(),
        ),
        "rate_limited" => (
            format!(
                "Terlalu banyak permintaan. Coba lagi dalam {} detik.",
                arg(a, "retry_after_secs")
            ),
            format!(
                "Too many requests; try again in {} s.",
                arg(a, "retry_after_secs")
            ),
        ),
        "validation_failed" => (
            "Ada isian yang perlu diperbaiki.".into(),
            "Some fields need fixing; see `errors`.".into(),
        ),
        "json_mismatch" => (
            format!("Isi JSON tidak sesuai dengan alamat ini: {}", arg(a, "detail")),
            format!("The JSON does not fit this endpoint: {}", arg(a, "detail")),
        ),
        "nothing_to_change" => ("Tidak ada yang berubah.".into(), "Nothing to change.".into()),
        "open311_key_required" => (
            "Kirim kunci Open311 dalam `api_key`. Kunci diterbitkan admin Tanggap.".into(),
            "Send your Open311 key as `api_key`; Tanggap's administrators issue keys.".into(),
        ),
        "open311_key_invalid" => (
            "Kunci Open311 (`api_key`) tidak dikenal atau sudah dicabut.".into(),
            "The Open311 key (`api_key`) is unknown or has been revoked.".into(),
        ),
        "open311_key_cannot_update" => (
            "Kunci Open311 ini tidak terhubung ke akun integrasi instansi, jadi tidak bisa mengirim perkembangan.".into(),
            "This Open311 key acts for no agency's integration account, so it cannot post updates.".into(),
        ),
        // Workflow refusals about one field: the field's message says it best.
        _ if !r.fields.is_empty() => {
            return r.fields[0].message(lang);
        }
        other => (
            format!("Permintaan ditolak ({other})."),
            format!("The request was refused ({other})."),
        ),
    };
    pick(lang, id, en)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refusal::RefusalKind;

    #[test]
    fn every_permission_has_words() {
        for p in tanggap_domain::policy::Permission::ALL {
            assert_ne!(
                permission_phrase(p.as_str(), Lang::Id),
                "melakukan ini",
                "{p:?}"
            );
        }
    }

    #[test]
    fn refusals_render_in_both_languages() {
        let r = Refusal::new(RefusalKind::Conflict, "invalid_transition")
            .with("action", "verify")
            .with("status", "ditutup");
        assert_eq!(
            r.message(Lang::Id),
            "Aksi ini tidak bisa dilakukan saat laporan berstatus \"Ditutup\"."
        );
        assert_eq!(
            r.message(Lang::En),
            "`verify` is not possible while the report is `ditutup`."
        );
        let f = FieldError::new("note", "too_long").with("max", 4000);
        assert_eq!(f.message(Lang::Id), "Catatan paling banyak 4000 karakter.");
        assert_eq!(
            f.message(Lang::En),
            "The note may have at most 4000 characters."
        );
        let r = Refusal::new(RefusalKind::Forbidden, "role_not_allowed")
            .with("permission", "dispatch_report");
        assert_eq!(
            r.message(Lang::Id),
            "Anda tidak berwenang mendisposisikan laporan."
        );
    }
}
