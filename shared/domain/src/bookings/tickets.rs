//! Ticket PDFs: one page with the event, seat and holder, and a QR code of the signed ticket.
//!
//! The PDF is written by hand (PDF 1.4, the standard Helvetica font, an uncompressed content
//! stream): a ticket needs text and squares, not a layout engine. The QR modules are drawn as
//! unit squares between `% qr-begin` and `% qr-end`, so a test can read the code back.

use crate::bookings::models::Booking;

const PAGE_W: u32 = 420;
const PAGE_H: u32 = 595;
/// Points per QR module.
const MODULE: u32 = 4;

/// Renders one ticket. `qr_payload` is the signed ticket a scanner reads.
pub fn render_ticket(booking: &Booking, seat: &str, ticket_id: &str, qr_payload: &str) -> Vec<u8> {
    let mut content = String::new();
    let mut line = |size: u32, y: u32, text: &str| {
        content.push_str(&format!(
            "BT /F1 {size} Tf 36 {y} Td ({}) Tj ET\n",
            pdf_text(text)
        ));
    };
    line(20, 550, "Stagepass ticket");
    line(14, 520, &booking.event_title);
    line(11, 500, &booking.venue);
    line(
        11,
        484,
        &booking.starts_at.format("%Y-%m-%d %H:%M UTC").to_string(),
    );
    line(14, 456, &format!("Seat {seat}"));
    line(11, 436, &format!("Holder: {}", booking.email));
    line(9, 420, &format!("Ticket {ticket_id}"));
    line(9, 406, &format!("Booking {}", booking.id));
    content.push_str(&qr_drawing(qr_payload));
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

/// A string for a PDF text operator: the standard fonts only cover Latin-1, so anything else
/// becomes '?', and the string delimiters are escaped.
fn pdf_text(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    out
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
        assert_eq!(pdf_text("Zoë 🎟"), "Zo? ?");
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
