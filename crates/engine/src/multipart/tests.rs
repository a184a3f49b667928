use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::Notify;

use super::*;
use crate::inlet::Inlet;

const TYPE: &str = "multipart/form-data; boundary=X";

fn body(parts: &[(&str, Option<&str>, &str)]) -> Bytes {
    let mut out = String::new();
    for (name, filename, value) in parts {
        out.push_str("--X\r\nContent-Disposition: form-data; name=\"");
        out.push_str(name);
        out.push('"');
        if let Some(filename) = filename {
            out.push_str(&format!(
                "; filename=\"{filename}\"\r\nContent-Type: text/plain"
            ));
        }
        out.push_str("\r\n\r\n");
        out.push_str(value);
        out.push_str("\r\n");
    }
    out.push_str("--X--\r\n");
    Bytes::from(out)
}

fn start(body: Bytes, limits: MultipartLimits) -> (Parts, Arc<Notify>) {
    let told = Arc::new(Notify::new());
    let teller = told.clone();
    let notifier = Box::new(move || teller.notify_one());
    let parts = Parts::start(Source::Read(body), TYPE, limits, notifier).unwrap();
    (parts, told)
}

async fn next(parts: &Parts, told: &Notify) -> Next {
    loop {
        match parts.next() {
            Next::Wait => told.notified().await,
            next => return next,
        }
    }
}

async fn read(parts: &Parts, told: &Notify) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::new();
    loop {
        let taken = parts.take();
        for chunk in taken.chunks {
            out.extend_from_slice(&chunk);
        }
        match taken.end {
            Some(Ok(())) => return Ok(out),
            Some(Err(failure)) => return Err(failure),
            None => told.notified().await,
        }
    }
}

/// Reads every part: a body parsed whole fails at the part, one read by a
/// task while the part is read.
async fn drain(parts: &Parts, told: &Notify) -> Result<(), Failure> {
    loop {
        match next(parts, told).await {
            Next::Part(_) => {
                read(parts, told).await?;
            }
            Next::End => return Ok(()),
            Next::Failed(failure) => return Err(failure),
            Next::Wait => unreachable!("next waits"),
        }
    }
}

#[tokio::test]
async fn hands_over_fields_and_files_in_order_and_skips_what_is_left() {
    let sent = body(&[
        ("title", None, "hi"),
        ("skipped", None, "zzz"),
        ("doc", Some("a.txt"), "file body"),
    ]);
    let (parts, told) = start(sent, MultipartLimits::default());
    let Next::Part(title) = next(&parts, &told).await else {
        panic!("a part")
    };
    assert_eq!(
        (title.name.as_str(), title.filename.as_deref()),
        ("title", None)
    );
    assert_eq!(read(&parts, &told).await.unwrap(), b"hi");
    let Next::Part(skipped) = next(&parts, &told).await else {
        panic!("a part")
    };
    assert_eq!(skipped.name, "skipped");
    let Next::Part(doc) = next(&parts, &told).await else {
        panic!("a part")
    };
    assert_eq!(doc.filename.as_deref(), Some("a.txt"));
    assert_eq!(doc.content_type.as_deref(), Some("text/plain"));
    assert!(doc
        .headers
        .iter()
        .any(|(name, _)| name == "content-disposition"));
    assert_eq!(read(&parts, &told).await.unwrap(), b"file body");
    assert_eq!(next(&parts, &told).await, Next::End);
}

#[tokio::test]
async fn counts_and_sizes_are_refused_naming_their_limit() {
    let limits = MultipartLimits {
        files: 1,
        ..MultipartLimits::default()
    };
    let sent = body(&[("a", Some("1.txt"), "x"), ("b", Some("2.txt"), "y")]);
    let (parts, told) = start(sent, limits);
    assert!(matches!(next(&parts, &told).await, Next::Part(_)));
    let Next::Failed(Failure::TooMuch(Limit::Files, detail)) = next(&parts, &told).await else {
        panic!("refused")
    };
    assert_eq!(detail, "the body has more than 1 files (files)");

    let limits = MultipartLimits {
        field_size: 3,
        ..MultipartLimits::default()
    };
    let (parts, told) = start(body(&[("title", None, "four")]), limits);
    let Err(Failure::TooMuch(Limit::FieldSize, detail)) = drain(&parts, &told).await else {
        panic!("refused")
    };
    assert_eq!(
        detail,
        "the field 'title' is larger than 3 bytes (fieldSize)"
    );
}

#[tokio::test]
async fn a_truncated_body_or_a_part_without_a_name_is_malformed() {
    let cut = Bytes::from_static(b"--X\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nab");
    let (parts, told) = start(cut, MultipartLimits::default());
    assert!(matches!(
        drain(&parts, &told).await,
        Err(Failure::Malformed(_))
    ));

    let nameless = Bytes::from_static(b"--X\r\nContent-Type: text/plain\r\n\r\nab\r\n--X--\r\n");
    let (parts, told) = start(nameless, MultipartLimits::default());
    assert!(matches!(
        next(&parts, &told).await,
        Next::Failed(Failure::Malformed(_))
    ));

    let told: Notifier = Box::new(|| {});
    let refused = Parts::start(
        Source::Read(Bytes::new()),
        "multipart/form-data",
        MultipartLimits::default(),
        told,
    );
    assert!(matches!(refused, Err(Failure::Malformed(_))));
}

#[tokio::test]
async fn saves_a_part_to_a_new_file_and_keeps_an_existing_one() {
    let dir = std::env::temp_dir().join(format!("armature-save-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("doc.txt");
    let _ = std::fs::remove_file(&path);
    let save = |parts: &Parts, overwrite: bool| {
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let done: SaveDone = Box::new(move |saved| drop(sender.send(saved)));
        parts.save(path.clone(), overwrite, Bytes::from_static(b">"), done);
        receiver
    };
    for (overwrite, expected) in [
        (false, Ok(Saved { size: 10 })),
        (false, Err(())),
        (true, Ok(Saved { size: 10 })),
    ] {
        let sent = body(&[("doc", Some("a.txt"), "file body")]);
        let (parts, told) = start(sent, MultipartLimits::default());
        assert!(matches!(next(&parts, &told).await, Next::Part(_)));
        let saved = save(&parts, overwrite).await.unwrap();
        assert_eq!(saved.map_err(|_| ()), expected);
        assert_eq!(std::fs::read(&path).unwrap(), b">file body");
        assert_eq!(next(&parts, &told).await, Next::End);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_streamed_body_is_read_by_a_task_and_a_part_gathered_whole() {
    let inlet = Inlet::new(1024);
    let told = Arc::new(Notify::new());
    let teller = told.clone();
    let notifier = Box::new(move || teller.notify_one());
    let sent = body(&[
        ("title", None, "hi"),
        ("doc", Some("a.txt"), &"z".repeat(5000)),
    ]);
    let parts = Parts::start(
        Source::Streamed(inlet.clone()),
        TYPE,
        MultipartLimits::default(),
        notifier,
    )
    .unwrap();
    for piece in sent.chunks(700) {
        inlet.push(Bytes::copy_from_slice(piece));
    }
    inlet.finish(Ok(()));
    let Next::Part(title) = next(&parts, &told).await else {
        panic!("a part")
    };
    assert_eq!(title.name, "title");
    assert_eq!(read(&parts, &told).await.unwrap(), b"hi");
    assert!(matches!(next(&parts, &told).await, Next::Part(_)));
    let (sender, receiver) = tokio::sync::oneshot::channel();
    parts.gather(
        Bytes::new(),
        Box::new(move |gathered| drop(sender.send(gathered))),
    );
    assert_eq!(
        receiver.await.unwrap().unwrap(),
        "z".repeat(5000).into_bytes()
    );
    assert_eq!(next(&parts, &told).await, Next::End);
}

#[test]
fn a_body_in_memory_is_parsed_whole_without_a_task() {
    let sent = body(&[("title", None, "hi"), ("doc", Some("a.txt"), "file body")]);
    let whole =
        reader::whole(sent, "X".to_owned(), MultipartLimits::default()).expect("parsed at once");
    assert_eq!(whole.end, Ok(()));
    let names: Vec<_> = whole
        .parts
        .iter()
        .map(|(head, bytes)| (head.name.as_str(), bytes.clone()))
        .collect();
    assert_eq!(
        names,
        [
            ("title", Bytes::from_static(b"hi")),
            ("doc", Bytes::from_static(b"file body"))
        ]
    );
}
