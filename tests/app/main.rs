//! Whole-product tests of the desktop app: the real binary in a real (virtual) window.

mod window;
