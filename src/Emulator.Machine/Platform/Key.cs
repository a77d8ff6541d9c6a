namespace Emulator.Machine.Platform;

/// <summary>
/// Keys of a US 101/102-key keyboard, valued by their scan code set 1 make code (IBM PS/2 Technical
/// Reference, "Scan Code Set 1"). Values above 0xFF carry the 0xE0 prefix in the high byte. The
/// break code is the make code with bit 7 set.
/// </summary>
public enum Key : ushort
{
    /// <summary>Esc: the key that types ASCII ESC (0x1B).</summary>
    Escape = 0x01,
    /// <summary>Types <c>1</c>, <c>!</c> with Shift.</summary>
    D1 = 0x02,
    /// <summary>Types <c>2</c>, <c>@</c> with Shift.</summary>
    D2 = 0x03,
    /// <summary>Types <c>3</c>, <c>#</c> with Shift.</summary>
    D3 = 0x04,
    /// <summary>Types <c>4</c>, <c>$</c> with Shift.</summary>
    D4 = 0x05,
    /// <summary>Types <c>5</c>, <c>%</c> with Shift.</summary>
    D5 = 0x06,
    /// <summary>Types <c>6</c>, <c>^</c> with Shift.</summary>
    D6 = 0x07,
    /// <summary>Types <c>7</c>, <c>&amp;</c> with Shift.</summary>
    D7 = 0x08,
    /// <summary>Types <c>8</c>, <c>*</c> with Shift.</summary>
    D8 = 0x09,
    /// <summary>Types <c>9</c>, <c>(</c> with Shift.</summary>
    D9 = 0x0A,
    /// <summary>Types <c>0</c>, <c>)</c> with Shift.</summary>
    D0 = 0x0B,
    /// <summary>Types <c>-</c>, <c>_</c> with Shift.</summary>
    Minus = 0x0C,
    /// <summary>Types <c>=</c>, <c>+</c> with Shift.</summary>
    Equals = 0x0D,
    /// <summary>Backspace: types ASCII BS (0x08).</summary>
    Backspace = 0x0E,
    /// <summary>Tab: types ASCII HT (0x09).</summary>
    Tab = 0x0F,
    /// <summary>Types <c>q</c>, <c>Q</c> with Shift.</summary>
    Q = 0x10,
    /// <summary>Types <c>w</c>, <c>W</c> with Shift.</summary>
    W = 0x11,
    /// <summary>Types <c>e</c>, <c>E</c> with Shift.</summary>
    E = 0x12,
    /// <summary>Types <c>r</c>, <c>R</c> with Shift.</summary>
    R = 0x13,
    /// <summary>Types <c>t</c>, <c>T</c> with Shift.</summary>
    T = 0x14,
    /// <summary>Types <c>y</c>, <c>Y</c> with Shift.</summary>
    Y = 0x15,
    /// <summary>Types <c>u</c>, <c>U</c> with Shift.</summary>
    U = 0x16,
    /// <summary>Types <c>i</c>, <c>I</c> with Shift.</summary>
    I = 0x17,
    /// <summary>Types <c>o</c>, <c>O</c> with Shift.</summary>
    O = 0x18,
    /// <summary>Types <c>p</c>, <c>P</c> with Shift.</summary>
    P = 0x19,
    /// <summary>Types <c>[</c>, <c>{</c> with Shift.</summary>
    LeftBracket = 0x1A,
    /// <summary>Types <c>]</c>, <c>}</c> with Shift.</summary>
    RightBracket = 0x1B,
    /// <summary>The main Enter key: types CR (0x0D).</summary>
    Enter = 0x1C,
    /// <summary>Left Ctrl, a modifier.</summary>
    LeftControl = 0x1D,
    /// <summary>Types <c>a</c>, <c>A</c> with Shift.</summary>
    A = 0x1E,
    /// <summary>Types <c>s</c>, <c>S</c> with Shift.</summary>
    S = 0x1F,
    /// <summary>Types <c>d</c>, <c>D</c> with Shift.</summary>
    D = 0x20,
    /// <summary>Types <c>f</c>, <c>F</c> with Shift.</summary>
    F = 0x21,
    /// <summary>Types <c>g</c>, <c>G</c> with Shift.</summary>
    G = 0x22,
    /// <summary>Types <c>h</c>, <c>H</c> with Shift.</summary>
    H = 0x23,
    /// <summary>Types <c>j</c>, <c>J</c> with Shift.</summary>
    J = 0x24,
    /// <summary>Types <c>k</c>, <c>K</c> with Shift.</summary>
    K = 0x25,
    /// <summary>Types <c>l</c>, <c>L</c> with Shift.</summary>
    L = 0x26,
    /// <summary>Types <c>;</c>, <c>:</c> with Shift.</summary>
    Semicolon = 0x27,
    /// <summary>Types <c>'</c>, <c>"</c> with Shift.</summary>
    Apostrophe = 0x28,
    /// <summary>Types <c>`</c>, <c>~</c> with Shift.</summary>
    Grave = 0x29,
    /// <summary>Left Shift, a modifier.</summary>
    LeftShift = 0x2A,
    /// <summary>Types <c>\</c>, <c>|</c> with Shift.</summary>
    Backslash = 0x2B,
    /// <summary>Types <c>z</c>, <c>Z</c> with Shift.</summary>
    Z = 0x2C,
    /// <summary>Types <c>x</c>, <c>X</c> with Shift.</summary>
    X = 0x2D,
    /// <summary>Types <c>c</c>, <c>C</c> with Shift.</summary>
    C = 0x2E,
    /// <summary>Types <c>v</c>, <c>V</c> with Shift.</summary>
    V = 0x2F,
    /// <summary>Types <c>b</c>, <c>B</c> with Shift.</summary>
    B = 0x30,
    /// <summary>Types <c>n</c>, <c>N</c> with Shift.</summary>
    N = 0x31,
    /// <summary>Types <c>m</c>, <c>M</c> with Shift.</summary>
    M = 0x32,
    /// <summary>Types <c>,</c>, <c>&lt;</c> with Shift.</summary>
    Comma = 0x33,
    /// <summary>Types <c>.</c>, <c>&gt;</c> with Shift.</summary>
    Period = 0x34,
    /// <summary>Types <c>/</c>, <c>?</c> with Shift.</summary>
    Slash = 0x35,
    /// <summary>Right Shift, a modifier.</summary>
    RightShift = 0x36,
    /// <summary>Keypad *.</summary>
    KeypadMultiply = 0x37,
    /// <summary>Left Alt, a modifier.</summary>
    LeftAlt = 0x38,
    /// <summary>The space bar: types a space.</summary>
    Space = 0x39,
    /// <summary>Caps Lock; the guest toggles the LED.</summary>
    CapsLock = 0x3A,
    /// <summary>Function key F1.</summary>
    F1 = 0x3B,
    /// <summary>Function key F2.</summary>
    F2 = 0x3C,
    /// <summary>Function key F3.</summary>
    F3 = 0x3D,
    /// <summary>Function key F4.</summary>
    F4 = 0x3E,
    /// <summary>Function key F5.</summary>
    F5 = 0x3F,
    /// <summary>Function key F6.</summary>
    F6 = 0x40,
    /// <summary>Function key F7.</summary>
    F7 = 0x41,
    /// <summary>Function key F8.</summary>
    F8 = 0x42,
    /// <summary>Function key F9.</summary>
    F9 = 0x43,
    /// <summary>Function key F10.</summary>
    F10 = 0x44,
    /// <summary>Num Lock; the guest toggles the LED and the keypad's meaning.</summary>
    NumLock = 0x45,
    /// <summary>Scroll Lock; the guest toggles the LED.</summary>
    ScrollLock = 0x46,
    /// <summary>Keypad 7 (Home with Num Lock off).</summary>
    Keypad7 = 0x47,
    /// <summary>Keypad 8 (Up with Num Lock off).</summary>
    Keypad8 = 0x48,
    /// <summary>Keypad 9 (PgUp with Num Lock off).</summary>
    Keypad9 = 0x49,
    /// <summary>Keypad -.</summary>
    KeypadMinus = 0x4A,
    /// <summary>Keypad 4 (Left with Num Lock off).</summary>
    Keypad4 = 0x4B,
    /// <summary>Keypad 5 (no function with Num Lock off).</summary>
    Keypad5 = 0x4C,
    /// <summary>Keypad 6 (Right with Num Lock off).</summary>
    Keypad6 = 0x4D,
    /// <summary>Keypad +.</summary>
    KeypadPlus = 0x4E,
    /// <summary>Keypad 1 (End with Num Lock off).</summary>
    Keypad1 = 0x4F,
    /// <summary>Keypad 2 (Down with Num Lock off).</summary>
    Keypad2 = 0x50,
    /// <summary>Keypad 3 (PgDn with Num Lock off).</summary>
    Keypad3 = 0x51,
    /// <summary>Keypad 0 (Ins with Num Lock off).</summary>
    Keypad0 = 0x52,
    /// <summary>Keypad . (Del with Num Lock off).</summary>
    KeypadPeriod = 0x53,
    /// <summary>Function key F11.</summary>
    F11 = 0x57,
    /// <summary>Function key F12.</summary>
    F12 = 0x58,
    /// <summary>Keypad Enter: an extended key (0xE0 prefix).</summary>
    KeypadEnter = 0xE01C,
    /// <summary>Right Ctrl: an extended key (0xE0 prefix).</summary>
    RightControl = 0xE01D,
    /// <summary>Keypad /: an extended key (0xE0 prefix).</summary>
    KeypadDivide = 0xE035,
    /// <summary>Right Alt (AltGr): an extended key (0xE0 prefix).</summary>
    RightAlt = 0xE038,
    /// <summary>The Home key of the editing block (not the keypad): an extended key (0xE0 prefix).</summary>
    Home = 0xE047,
    /// <summary>The Up arrow key of the editing block (not the keypad): an extended key (0xE0 prefix).</summary>
    Up = 0xE048,
    /// <summary>The Page Up key of the editing block (not the keypad): an extended key (0xE0 prefix).</summary>
    PageUp = 0xE049,
    /// <summary>The Left arrow key of the editing block (not the keypad): an extended key (0xE0 prefix).</summary>
    Left = 0xE04B,
    /// <summary>The Right arrow key of the editing block (not the keypad): an extended key (0xE0 prefix).</summary>
    Right = 0xE04D,
    /// <summary>The End key of the editing block (not the keypad): an extended key (0xE0 prefix).</summary>
    End = 0xE04F,
    /// <summary>The Down arrow key of the editing block (not the keypad): an extended key (0xE0 prefix).</summary>
    Down = 0xE050,
    /// <summary>The Page Down key of the editing block (not the keypad): an extended key (0xE0 prefix).</summary>
    PageDown = 0xE051,
    /// <summary>The Insert key of the editing block (not the keypad): an extended key (0xE0 prefix).</summary>
    Insert = 0xE052,
    /// <summary>The Delete key of the editing block (not the keypad): an extended key (0xE0 prefix).</summary>
    Delete = 0xE053,
}
