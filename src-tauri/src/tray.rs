//! The tray icon: its look says ok / expiring soon / expired, its title the count, and
//! its menu lists the soonest tokens, "rotate all due", lock and quit. The icon images
//! are drawn here (a coloured disc) so no image decoder is needed at run time.

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Emitter, Manager, Runtime};

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

/// A 32x32 disc in the colour of `health`, with a light ring (visible on dark and light
/// panels).
pub fn icon(health: Health) -> Image<'static> {
    let (r, g, b) = match health {
        Health::Ok => (0x2e, 0x9d, 0x5b),
        Health::Soon => (0xe0, 0x9b, 0x12),
        Health::Expired => (0xd0, 0x36, 0x2f),
        Health::Locked => (0x6b, 0x72, 0x80),
    };
    let size = 32u32;
    let mut rgba = vec![0u8; (size * size * 4) as usize];
    let c = (size as f32 - 1.0) / 2.0;
    for y in 0..size {
        for x in 0..size {
            let d = ((x as f32 - c).powi(2) + (y as f32 - c).powi(2)).sqrt();
            let i = ((y * size + x) * 4) as usize;
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
    Image::new_owned(rgba, size, size)
}

/// Builds the tray with its menu; the menu's token slots start hidden (disabled, empty).
pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open Tokenwarden", true, None::<&str>)?;
    let slots: Vec<MenuItem<R>> = (0..SLOTS)
        .map(|i| MenuItem::with_id(app, format!("token:{i}"), "", false, None::<&str>))
        .collect::<Result<_, _>>()?;
    let rotate = MenuItem::with_id(app, "rotate-due", "Rotate all due", true, None::<&str>)?;
    let lock = MenuItem::with_id(app, "lock", "Lock", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Tokenwarden", true, None::<&str>)?;
    let sep1 = PredefinedMenuItem::separator(app)?;
    let sep2 = PredefinedMenuItem::separator(app)?;
    let mut items: Vec<&dyn tauri::menu::IsMenuItem<R>> = vec![&open, &sep1];
    for s in &slots {
        items.push(s);
    }
    items.extend([
        &sep2 as &dyn tauri::menu::IsMenuItem<R>,
        &rotate,
        &lock,
        &quit,
    ]);
    let menu = Menu::with_items(app, &items)?;
    app.manage(TrayMenu { slots });
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(Health::Locked))
        .tooltip("Tokenwarden")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| {
            let id = event.id().as_ref().to_string();
            match id.as_str() {
                "open" => crate::show_main(app),
                "quit" => app.exit(0),
                "lock" if !app.state::<crate::AppState>().is_busy() => crate::lock_now(app),
                "lock" => tracing::info!("not locked: a rotation is under way"),
                "rotate-due" => {
                    crate::show_main(app);
                    let _ = app.emit("tray-rotate-due", ());
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
                            crate::show_main(app);
                            let _ = app.emit("open-token", token);
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
                crate::show_main(tray.app_handle());
            }
        })
        .build(app)?;
    Ok(())
}

/// The menu items the tray edits in place.
pub struct TrayMenu<R: Runtime> {
    slots: Vec<MenuItem<R>>,
}

/// Shows `view` in the tray: icon, title (the count) and the soonest tokens.
pub fn update<R: Runtime>(app: &AppHandle<R>, view: &TrayView) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let _ = tray.set_icon(Some(icon(view.health)));
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
    if let Some(menu) = app.try_state::<TrayMenu<R>>() {
        for (i, slot) in menu.slots.iter().enumerate() {
            match view.soonest.get(i) {
                Some((_, text)) => {
                    let _ = slot.set_text(text);
                    let _ = slot.set_enabled(true);
                }
                None => {
                    let _ = slot.set_text("");
                    let _ = slot.set_enabled(false);
                }
            }
        }
    }
}
