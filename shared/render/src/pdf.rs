//! Ticket PDFs: one page with the event, seat and holder, and a QR code of the signed ticket.
//!
//! The PDF is written by hand (PDF 1.4, the standard Helvetica font, an uncompressed content
//! stream): a ticket needs text and squares, not a layout engine. The QR modules are drawn as
//! unit squares between `% qr-begin` and `% qr-end`, so a test can read the code back.

use stagepass_domain::bookings::models::PrintedTicket;
use stagepass_domain::bookings::ports::TicketRenderer;

const PAGE_W: u32 = 420;
const PAGE_H: u32 = 595;
/// Points per QR module.
const MODULE: u32 = 4;

/// Ticket PDFs, as the saga's `IssueTickets` step stores them.
pub struct PdfTickets;

impl TicketRenderer for PdfTickets {
    fn render(&self, ticket: &PrintedTicket) -> Vec<u8> {
        render_ticket(ticket)
    }
}

/// Renders one ticket. `qr_payload` is the signed ticket a scanner reads.
fn render_ticket(t: &PrintedTicket) -> Vec<u8> {
    let mut content = String::new();
    let mut line = |size: u32, y: u32, text: &str| {
        content.push_str(&format!(
            "BT /F1 {size} Tf 36 {y} Td ({}) Tj ET\n",
            pdf_text(text)
        ));
    };
    line(20, 550, "Stagepass ticket");
    line(14, 520, &t.event_title);
    line(11, 500, &t.venue);
    line(
        11,
        484,
        &t.starts_at.format("%Y-%m-%d %H:%M UTC").to_string(),
    );
    line(14, 456, &format!("Seat {}", t.seat));
    line(11, 436, &format!("Holder: {}", t.holder));
    line(9, 420, &format!("Ticket {}", t.ticket_id));
    line(9, 406, &format!("Booking {}", t.booking_id));
    content.push_str(&qr_drawing(&t.qr_payload));
    pdf_document(&content)
}

/// The QR code as filled unit squares, scaled and placed under the text.
fn qr_drawing(payload: &str) -> String {
    let code = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
        .expect("a signed ticket fits in a QR code");
    let width = code.width() as u32;
    let colors = code.to_colors();
    let size = width * MODULE;
    let x0 = (PAGE_W - size) / 2;
    let y0 = 40;
    let mut out = format!("% qr-begin {width}\nq {MODULE} 0 0 {MODULE} {x0} {y0} cm\n");
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let col = i as u32 % width;
            let row = i as u32 / width;
            // PDF's y axis points up: the first row is drawn at the top.
            out.push_str(&format!("{col} {} 1 1 re\n", width - 1 - row));
        }
    }
    out.push_str("f\nQ\n% qr-end\n");
    out
}

/// A string for a PDF text operator in the font's WinAnsi encoding (Windows-1252): Western
/// European names keep their accents (`ë` is byte 0xEB, written as the octal escape `\\353` so
/// the content stream stays ASCII). The standard fonts have no other glyphs, so characters
/// outside that encoding become '?'. The string delimiters are escaped.
fn pdf_text(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => match win_ansi(c) {
                Some(byte) => out.push_str(&format!("\\{byte:03o}")),
                None => out.push('?'),
            },
        }
    }
    out
}

/// The Windows-1252 byte of a character, if it has one (Latin-1 plus typographic marks).
fn win_ansi(c: char) -> Option<u8> {
    const HIGH: [(char, u8); 27] = [
        ('€', 0x80),
        ('‚', 0x82),
        ('ƒ', 0x83),
        ('„', 0x84),
        ('…', 0x85),
        ('†', 0x86),
        ('‡', 0x87),
        ('ˆ', 0x88),
        ('‰', 0x89),
        ('Š', 0x8A),
        ('‹', 0x8B),
        ('Œ', 0x8C),
        ('Ž', 0x8E),
        ('‘', 0x91),
        ('’', 0x92),
        ('“', 0x93),
        ('”', 0x94),
        ('•', 0x95),
        ('–', 0x96),
        ('—', 0x97),
        ('˜', 0x98),
        ('™', 0x99),
        ('š', 0x9A),
        ('›', 0x9B),
        ('œ', 0x9C),
        ('ž', 0x9E),
        ('Ÿ', 0x9F),
    ];
    match c as u32 {
        0xA0..=0xFF => Some(c as u32 as u8),
        _ => HIGH.iter().find(|(h, _)| *h == c).map(|(_, b)| *b),
    }
}

fn pdf_document(content: &str) -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_string(),
        format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ),
    ];
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// Reads the QR module grid back out of a ticket PDF made by [`render_ticket`]: row-major,
/// `true` for dark. For tests and tools; `None` if the PDF has no QR drawing.
pub fn qr_modules(pdf: &[u8]) -> Option<(usize, Vec<bool>)> {
    let text = String::from_utf8_lossy(pdf);
    let start = text.find("% qr-begin ")?;
    let rest = &text[start + "% qr-begin ".len()..];
    let width: usize = rest.lines().next()?.trim().parse().ok()?;
    let body = &rest[..rest.find("% qr-end")?];
    let mut grid = vec![false; width * width];
    for l in body.lines() {
        let parts: Vec<&str> = l.split(' ').collect();
        if let [x, y, "1", "1", "re"] = parts.as_slice() {
            let (x, y): (usize, usize) = (x.parse().ok()?, y.parse().ok()?);
            let row = width.checked_sub(1 + y)?;
            *grid.get_mut(row * width + x)? = true;
        }
    }
    Some((width, grid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_pdf() {
        assert_eq!(pdf_text("a(b)c\\"), "a\\(b\\)c\\\\");
        // Accented names print as they are (WinAnsi octal escapes); only what the standard
        // fonts cannot draw becomes '?'.
        assert_eq!(pdf_text("Zoë Müller"), "Zo\\353 M\\374ller");
        assert_eq!(pdf_text("20 € – “VIP”"), "20 \\200 \\226 \\223VIP\\224");
        assert_eq!(pdf_text("Zoë 🎟"), "Zo\\353 ?");
    }

    #[test]
    fn a_ticket_keeps_accented_names_and_its_qr_code() {
        let ticket = PrintedTicket {
            event_title: "Zoë & the Crêpes".into(),
            venue: "Salle Pleyel, Paris".into(),
            starts_at: chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            seat: "A-1-1".into(),
            holder: "zoë@example.com".into(),
            ticket_id: "t-1".into(),
            booking_id: "b-1".into(),
            qr_payload: "signed-ticket".into(),
        };
        let pdf = String::from_utf8_lossy(&PdfTickets.render(&ticket)).into_owned();
        assert!(pdf.contains("(Zo\\353 & the Cr\\352pes)"), "{pdf}");
        assert!(pdf.contains("(Holder: zo\\353@example.com)"));
        assert!(!pdf.contains("Zo?"));
        let (width, _) = qr_modules(pdf.as_bytes()).unwrap();
        assert_eq!(
            width,
            qrcode::QrCode::new(b"signed-ticket").unwrap().width()
        );
    }

    #[test]
    fn qr_drawing_reads_back_to_the_same_modules() {
        let code = qrcode::QrCode::new(b"hello").unwrap();
        let drawn = pdf_document(&qr_drawing("hello"));
        let (width, grid) = qr_modules(&drawn).unwrap();
        assert_eq!(width, code.width());
        let expected: Vec<bool> = code
            .to_colors()
            .iter()
            .map(|c| *c == qrcode::Color::Dark)
            .collect();
        assert_eq!(grid, expected);
        assert!(drawn.starts_with(b"%PDF-1.4"));
        assert!(drawn.ends_with(b"%%EOF\n"));
    }
}
