//! App benchmarks (CPU side, in the egui_kittest harness: layout and tessellation, no GPU).
//! `cargo bench --bench ui`; numbers go into docs/benchmarks.md.

mod common;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{PASS, build_places_vault, build_vault};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use tresor::KdfParams;
use tresor::clipboard::FakeClipboard;
use tresor::ui::{App, AppOptions, ServeAt};
use tresor::vault::SystemClock;

const SIZES: [usize; 3] = [100, 10_000, 100_000];

fn options(path: &Path) -> AppOptions {
    AppOptions {
        vault_path: path.to_owned(),
        prefs_path: None,
        clock: Arc::new(SystemClock),
        clipboard: Box::new(FakeClipboard::new()),
        background_jobs: false,
        kdf_override: Some(KdfParams::insecure_for_tests()),
        serve: ServeAt::Off,
    }
}

/// An app unlocked through its own UI, on the Secrets page.
fn unlocked(path: &Path) -> Harness<'static, App> {
    let mut h = Harness::builder()
        .with_size([1100.0, 720.0])
        .build_ui_state(|ui, app: &mut App| app.show(ui), App::new(options(path)));
    h.run();
    let field = h
        .get_all_by_label("Passphrase")
        .find(|n| n.accesskit_node().role() == egui::accesskit::Role::PasswordInput)
        .unwrap();
    field.focus();
    h.run();
    h.get_all_by_label("Passphrase")
        .find(|n| n.accesskit_node().role() == egui::accesskit::Role::PasswordInput)
        .unwrap()
        .type_text(PASS);
    h.run();
    h.get_by_label("Unlock").click();
    h.run();
    assert!(h.state().is_unlocked());
    h
}

/// One full CPU frame: layout, then tessellation of what it drew.
fn frame(h: &mut Harness<'static, App>) {
    h.step();
    let shapes = h.output().shapes.clone();
    black_box(h.ctx.tessellate(shapes, 1.0));
}

fn ui(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<(usize, PathBuf)> = SIZES.iter().map(|&n| (n, build_vault(dir.path(), n))).collect();

    let mut group = c.benchmark_group("secrets_page_frame");
    for (n, path) in &paths {
        let mut h = unlocked(path);
        group.bench_function(BenchmarkId::from_parameter(n), |b| b.iter(|| frame(&mut h)));
    }
    group.finish();

    // One keystroke in the search field over the largest vault: the filter runs again over every
    // name and description, then a frame is drawn. Alternates typing and deleting a letter.
    let mut group = c.benchmark_group("search_keystroke");
    let (n, path) = paths.last().unwrap();
    let mut h = unlocked(path);
    h.get_by_label("Search secrets").focus();
    h.run();
    h.get_by_label("Search secrets").type_text("service_0");
    h.run();
    let mut typed = false;
    group.bench_function(BenchmarkId::from_parameter(n), |b| {
        b.iter(|| {
            if typed {
                h.key_press(Key::Backspace);
            } else {
                h.get_by_label("Search secrets").type_text("4");
            }
            typed = !typed;
            frame(&mut h);
        })
    });
    group.finish();

    // From nothing to the first frame of the lock screen (no window: that part is measured with
    // the real binary under Xvfb, see docs/benchmarks.md).
    let mut group = c.benchmark_group("startup_to_unlock_screen");
    let (_, path) = &paths[0];
    group.bench_function("app_new_and_first_frame", |b| {
        b.iter(|| {
            let mut h = Harness::builder()
                .with_size([1100.0, 720.0])
                .build_ui_state(|ui, app: &mut App| app.show(ui), App::new(options(path)));
            frame(&mut h);
            black_box(h.state().is_unlocked())
        })
    });
    group.finish();
}

/// 100 projects × 3 environments × 300 secrets (plus 10 shared per project), with history:
/// switching environment or project (the listing read, one frame drawn), a frame of an
/// environment's table, and a frame of the Compare view.
fn places(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = build_places_vault(dir.path(), 100, 300, 10);
    let mut h = unlocked(&path);
    let mut group = c.benchmark_group("places_91k");

    // Two projects' levels, by their sidebar buttons (an AccessKit click: one frame, as a
    // mouse click's press and release in one frame; the button may be scrolled out of sight).
    let mut first = true;
    group.bench_function("switch_project_and_frame", |b| {
        b.iter(|| {
            let project = if first { "project 050, " } else { "project 051, " };
            first = !first;
            h.get_by_label_contains(project).click_accesskit();
            frame(&mut h);
        })
    });
    // development ⇄ staging of project 050 (300 secrets each, and the 10 shared), by their tabs.
    h.get_by_label_contains("project 050, ").click_accesskit();
    h.run();
    h.get_by_label("development").click_accesskit();
    h.run();
    assert!(h.query_by_label("Copy KEY_0000").is_some(), "an environment of 310 rows shows");
    let mut forward = true;
    group.bench_function("switch_environment_and_frame", |b| {
        b.iter(|| {
            let tab = if forward { "staging" } else { "development" };
            forward = !forward;
            h.get_by_label(tab).click_accesskit();
            frame(&mut h);
        })
    });
    group.bench_function("environment_table_frame_310_rows", |b| b.iter(|| frame(&mut h)));
    h.get_by_label("Compare").click_accesskit();
    h.run();
    // 300 names of each environment's own, and the 10 shared ones.
    assert!(h.query_by_label("Compare environments").is_some(), "the Compare view shows");
    group.bench_function("compare_frame_310_names", |b| b.iter(|| frame(&mut h)));
    group.finish();
}

criterion_group!(benches, ui, places);
criterion_main!(benches);
