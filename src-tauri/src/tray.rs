//! The tray icon: its look says ok / expiring soon / expired, with the count on it, and
//! its menu lists the soonest tokens, "rotate all due", lock and quit. The icon images
//! are drawn here (a coloured disc) so no image decoder is needed at run time.

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime};

pub const TRAY_ID: &str = "main";
/// Menu slots for the soonest tokens (Linux trays cannot replace a menu, only edit it).
pub const SLOTS: usize = 5;

/// The worst state among the current tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Ok,
    Soon,
    Expired,
    /// The vault is locked: nothing known (beyond the next-due file).
    Locked,
}

/// What the tray shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TrayView {
    pub health: Health,
    /// Tokens expiring within a week or expired.
    pub count: usize,
    /// The soonest tokens: (token id, menu text).
    pub soonest: Vec<(String, String)>,
}

/// Digits and '+' in a 3x5 pixel font, one row per byte (bit 2 is the left column).
const GLYPHS: [(char, [u8; 5]); 11] = [
    ('0', [0b111, 0b101, 0b101, 0b101, 0b111]),
    ('1', [0b010, 0b110, 0b010, 0b010, 0b111]),
    ('2', [0b111, 0b001, 0b111, 0b100, 0b111]),
    ('3', [0b111, 0b001, 0b111, 0b001, 0b111]),
    ('4', [0b101, 0b101, 0b111, 0b001, 0b001]),
    ('5', [0b111, 0b100, 0b111, 0b001, 0b111]),
    ('6', [0b111, 0b100, 0b111, 0b101, 0b111]),
    ('7', [0b111, 0b001, 0b001, 0b001, 0b001]),
    ('8', [0b111, 0b101, 0b111, 0b101, 0b111]),
    ('9', [0b111, 0b101, 0b111, 0b001, 0b111]),
    ('+', [0b000, 0b010, 0b111, 0b010, 0b000]),
];
const SIZE: u32 = 32;
/// Each font pixel is drawn as SCALE x SCALE icon pixels.
const SCALE: u32 = 3;

/// What the icon writes for `count`: nothing for none, the number up to 9, else "9+".
fn badge(count: usize) -> String {
    match count {
        0 => String::new(),
        1..=9 => count.to_string(),
        _ => "9+".into(),
    }
}

/// The icon's pixels (RGBA, 32x32): a disc in the colour of `health` with a light ring
/// (visible on dark and light panels), and the count written on it in white. Most
/// Linux trays (XEmbed, KDE, GNOME's extension) show no title beside an icon, so the
/// count is in the image itself; the title carries it too where a tray shows one.
pub fn pixels(health: Health, count: usize) -> Vec<u8> {
    let (r, g, b) = match health {
        Health::Ok => (0x2e, 0x9d, 0x5b),
        Health::Soon => (0xc7, 0x7c, 0x02),
        Health::Expired => (0xd0, 0x36, 0x2f),
        Health::Locked => (0x6b, 0x72, 0x80),
    };
    let mut rgba = vec![0u8; (SIZE * SIZE * 4) as usize];
    let c = (SIZE as f32 - 1.0) / 2.0;
    for y in 0..SIZE {
        for x in 0..SIZE {
            let d = ((x as f32 - c).powi(2) + (y as f32 - c).powi(2)).sqrt();
            let i = ((y * SIZE + x) * 4) as usize;
            let (pr, pg, pb, a) = if d <= 12.5 {
                (r, g, b, 255)
            } else if d <= 15.0 {
                (0xf5, 0xf5, 0xf5, 255)
            } else if d <= 15.8 {
                (0xf5, 0xf5, 0xf5, 120)
            } else {
                (0, 0, 0, 0)
            };
            rgba[i..i + 4].copy_from_slice(&[pr, pg, pb, a]);
        }
    }
    let text = badge(count);
    let glyphs: Vec<[u8; 5]> = text
        .chars()
        .filter_map(|ch| GLYPHS.iter().find(|(g, _)| *g == ch).map(|(_, rows)| *rows))
        .collect();
    if glyphs.is_empty() {
        return rgba;
    }
    // Glyphs 3 font pixels wide with one between them, centred.
    let width = (glyphs.len() as u32 * 4 - 1) * SCALE;
    let height = 5 * SCALE;
    let (x0, y0) = ((SIZE - width) / 2, (SIZE - height) / 2);
    for (n, rows) in glyphs.iter().enumerate() {
        for (row, bits) in rows.iter().enumerate() {
            for col in 0..3u32 {
                if bits & (0b100 >> col) == 0 {
                    continue;
                }
                for dy in 0..SCALE {
                    for dx in 0..SCALE {
                        let x = x0 + (n as u32 * 4 + col) * SCALE + dx;
                        let y = y0 + row as u32 * SCALE + dy;
                        let i = ((y * SIZE + x) * 4) as usize;
                        rgba[i..i + 4].copy_from_slice(&[0xff, 0xff, 0xff, 0xff]);
                    }
                }
            }
        }
    }
    rgba
}

pub fn icon(health: Health, count: usize) -> Image<'static> {
    // macOS tints menu-bar icons itself (template images: alpha only, dark or light
    // with the menu bar): a coloured disc would break that convention. There the
    // shape tells the state and the count is the title beside it, which the macOS
    // menu bar shows (`update`).
    #[cfg(target_os = "macos")]
    let rgba = {
        let _ = count;
        template_pixels(health)
    };
    #[cfg(not(target_os = "macos"))]
    let rgba = pixels(health, count);
    Image::new_owned(rgba, SIZE, SIZE)
}

/// The macOS template icon (black with alpha): a ring when all is well or the vault
/// is locked, a filled disc when tokens are due, a filled disc with a hole when some
/// have expired.
#[cfg_attr(not(target_os = "macos"), allow(dead_code))]
pub fn template_pixels(health: Health) -> Vec<u8> {
    let mut rgba = vec![0u8; (SIZE * SIZE * 4) as usize];
    let c = (SIZE as f32 - 1.0) / 2.0;
    for y in 0..SIZE {
        for x in 0..SIZE {
            let d = ((x as f32 - c).powi(2) + (y as f32 - c).powi(2)).sqrt();
            let inked = match health {
                Health::Ok | Health::Locked => (11.0..=14.5).contains(&d),
                Health::Soon => d <= 14.5,
                Health::Expired => d <= 14.5 && d > 5.0,
            };
            if inked {
                let i = ((y * SIZE + x) * 4) as usize;
                rgba[i + 3] = 255;
            }
        }
    }
    rgba
}

/// Builds the tray with its menu; the token slots join the menu when there are tokens
/// to show in them (`update`).
pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open Tokenwarden", true, None::<&str>)?;
    let slots: Vec<MenuItem<R>> = (0..SLOTS)
        .map(|i| MenuItem::with_id(app, format!("token:{i}"), "", true, None::<&str>))
        .collect::<Result<_, _>>()?;
    let rotate = MenuItem::with_id(app, "rotate-due", "Rotate all due", true, None::<&str>)?;
    let lock = MenuItem::with_id(app, "lock", "Lock", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Tokenwarden", true, None::<&str>)?;
    let sep1 = PredefinedMenuItem::separator(app)?;
    let sep2 = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(
        app,
        &[
            &open as &dyn tauri::menu::IsMenuItem<R>,
            &sep2,
            &rotate,
            &lock,
            &quit,
        ],
    )?;
    app.manage(TrayMenu {
        menu: menu.clone(),
        separator: sep1,
        slots,
        shown: std::sync::Mutex::new(0),
    });
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(Health::Locked, 0))
        .tooltip("Tokenwarden")
        .menu(&menu)
        // macOS: a click on a menu-bar item opens its menu, and the icon is a
        // template. Windows: a click opens the window, the menu is on the right
        // button (the notification area's convention). Linux: libappindicator opens
        // the menu on any click and reports no clicks (Tauri's TrayIconEvent is not
        // emitted there), so "Open Tokenwarden" comes first in the menu.
        .icon_as_template(cfg!(target_os = "macos"))
        .show_menu_on_left_click(cfg!(target_os = "macos"))
        .on_menu_event(|app, event| {
            let id = event.id().as_ref().to_string();
            match id.as_str() {
                "open" => crate::show_main(app),
                "quit" => app.exit(0),
                "lock" if !app.state::<crate::AppState>().is_busy() => {
                    crate::lock_now(app, crate::LockReason::Asked)
                }
                "lock" => tracing::info!("not locked: a rotation is under way"),
                "rotate-due" => {
                    crate::background::show_main_for(
                        app,
                        Some(crate::background::Intent::RotateDue),
                    );
                }
                other => {
                    if let Some(i) = other
                        .strip_prefix("token:")
                        .and_then(|i| i.parse::<usize>().ok())
                    {
                        if let Some(token) = app
                            .state::<crate::AppState>()
                            .tray_tokens
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .get(i)
                            .cloned()
                        {
                            crate::background::show_main_for(
                                app,
                                Some(crate::background::Intent::OpenToken(token)),
                            );
                        }
                    }
                }
            }
        })
        .on_tray_icon_event(|tray, event| {
            // A click on the icon opens the window: the way from a reminder to its
            // token on every desktop.
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                ..
            } = event
            {
                if cfg!(target_os = "macos") {
                    return; // the click opened the menu, which has "Open Tokenwarden"
                }
                crate::show_main(tray.app_handle());
            }
        })
        .build(app)?;
    Ok(())
}

/// The menu, and the token slots `update` puts in it (after "Open Tokenwarden" and a
/// separator) or takes out: an empty slot would show as a blank line.
pub struct TrayMenu<R: Runtime> {
    menu: Menu<R>,
    separator: PredefinedMenuItem<R>,
    slots: Vec<MenuItem<R>>,
    shown: std::sync::Mutex<usize>,
}

impl<R: Runtime> TrayMenu<R> {
    /// Makes the first `texts.len()` slots the menu's, with `texts` in them. Main
    /// thread only (`update`).
    fn show(&self, texts: &[String]) {
        let n = texts.len().min(self.slots.len());
        let mut shown = self.shown.lock().unwrap_or_else(|p| p.into_inner());
        for (slot, text) in self.slots.iter().zip(texts) {
            let _ = slot.set_text(text);
        }
        if *shown == n {
            return;
        }
        for slot in &self.slots[..*shown] {
            let _ = self.menu.remove(slot);
        }
        if *shown > 0 {
            let _ = self.menu.remove(&self.separator);
        }
        if n > 0 {
            let _ = self.menu.insert(&self.separator, 1);
            for (i, slot) in self.slots[..n].iter().enumerate() {
                let _ = self.menu.insert(slot, 2 + i);
            }
        }
        *shown = n;
    }
}

/// Shows `view` in the tray: icon, title (the count) and the soonest tokens.
pub fn update<R: Runtime>(app: &AppHandle<R>, view: &TrayView) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let _ = tray.set_icon(Some(icon(view.health, view.count)));
    #[cfg(target_os = "macos")]
    let _ = tray.set_icon_as_template(true);
    let title = match view.health {
        _ if view.count > 0 => view.count.to_string(),
        _ => String::new(),
    };
    let _ = tray.set_title(Some(title));
    let tip = match view.health {
        Health::Ok => "Tokenwarden: all tokens ok".to_string(),
        Health::Soon => format!("Tokenwarden: {} expiring soon", view.count),
        Health::Expired => format!("Tokenwarden: {} expired or expiring", view.count),
        Health::Locked if view.count > 0 => format!(
            "Tokenwarden (locked): {} expiring within a week; unlock to see which",
            view.count
        ),
        Health::Locked => "Tokenwarden (locked)".to_string(),
    };
    let _ = tray.set_tooltip(Some(tip));
    // On the main thread: each menu call made from another thread waits for the main
    // thread, so `show`'s lock held across them could deadlock against a call made
    // there (the tray's Lock). There, calls run one at a time.
    let texts: Vec<String> = view.soonest.iter().map(|(_, t)| t.clone()).collect();
    let handle = app.clone();
    let _ = app.run_on_main_thread(move || {
        if let Some(menu) = handle.try_state::<TrayMenu<R>>() {
            menu.show(&texts);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_macos_template_tells_the_state_by_shape_in_black_only() {
        let inked = |p: &[u8]| p.chunks(4).filter(|px| px[3] > 0).count();
        let centre = |p: &[u8]| {
            let i = ((SIZE / 2 * SIZE + SIZE / 2) * 4) as usize;
            p[i + 3]
        };
        for h in [Health::Ok, Health::Soon, Health::Expired, Health::Locked] {
            let p = template_pixels(h);
            assert!(
                p.chunks(4).all(|px| px[..3] == [0, 0, 0]),
                "{h:?}: a template is black with alpha"
            );
        }
        let (ring, due, expired) = (
            template_pixels(Health::Ok),
            template_pixels(Health::Soon),
            template_pixels(Health::Expired),
        );
        assert_eq!(centre(&ring), 0, "all well: a ring, hollow");
        assert_eq!(centre(&due), 255, "due: filled");
        assert_eq!(centre(&expired), 0, "expired: a hole in the disc");
        assert!(inked(&due) > inked(&expired) && inked(&expired) > inked(&ring));
    }

    fn white(p: &[u8]) -> usize {
        p.chunks(4)
            .filter(|px| px == &[0xff, 0xff, 0xff, 0xff])
            .count()
    }

    #[test]
    fn the_icon_carries_the_count_and_caps_it() {
        assert_eq!(white(&pixels(Health::Soon, 0)), 0, "no count, no digits");
        // '1' lights 8 font pixels, '8' 13: each drawn as 3x3.
        assert_eq!(white(&pixels(Health::Soon, 1)), 8 * 9);
        assert_eq!(white(&pixels(Health::Expired, 8)), 13 * 9);
        // Ten or more: "9+" (12 + 5 font pixels), the same for any larger count.
        assert_eq!(white(&pixels(Health::Expired, 10)), 17 * 9);
        assert_eq!(pixels(Health::Expired, 10), pixels(Health::Expired, 4000));
        // The state is in the colour: the centre-left disc pixel differs.
        let at = |p: &[u8]| p[((16 * SIZE + 6) * 4) as usize..][..3].to_vec();
        assert_ne!(at(&pixels(Health::Ok, 3)), at(&pixels(Health::Expired, 3)));
        assert_ne!(at(&pixels(Health::Soon, 3)), at(&pixels(Health::Locked, 3)));
    }
}
