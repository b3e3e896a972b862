"""GET /p11Image.bmp: the /pkcs11info answer painted into a one-row BMP, for pages that cannot read the JSON itself.

The legacy detection path of HiCOS / HiPKI integrator pages, from before /popupForm
(docs/protocols/hipki-agent.md#endpoints; seen in
integrator sample code, e.g. HiPKI's checkVersion page): `img.crossOrigin = "Anonymous"`, `img.src =
"http://localhost:61161/p11Image.bmp"`, draw it on a 2000 x 1 canvas, then

    for(i=0;i<2000;i++){ var data=ctx.getImageData(i,0,1,1).data; if(data[2]==0) break;
                         output=output+String.fromCharCode(data[2],data[1],data[0]); }

and `JSON.parse(output)`; an empty output stands for `{"ret_code": 1979711501, …}` (0x7600000D). Edge/Safari variants
fetch the same file as text and read characters from offset 54 until a NUL. Both fix the encoding: a 24-bit BMP
(pixel bytes stored blue, green, red) whose pixel data, from byte 54 on, is the JSON text itself, three characters a
pixel, ended by a pixel whose blue byte is 0.

Our choices, each needed for those pages to parse the answer: the JSON is ASCII (non-ASCII as \\u escapes, since every
byte becomes one character); it is padded with spaces to a whole pixel (a NUL inside the last pixel would end up in
the string and break JSON.parse); one all-zero pixel ends it. And the image is sent with
`Access-Control-Allow-Origin: *`: with `crossOrigin = "Anonymous"` a browser refuses to load an image without it, so
the real agent must send it here even though it sends no CORS headers for its JSON.
"""

from __future__ import annotations

import json
import struct
from typing import Any

HEADER_SIZE = 14 + 40  # BITMAPFILEHEADER + BITMAPINFOHEADER: where the pixels start
CANVAS_WIDTH = 2000  # the pages' canvas: at most 2000 pixels are read back


def paint(answer: dict[str, Any]) -> bytes:
    """The BMP file carrying `answer` as JSON in its pixels."""
    text = json.dumps(answer, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    text += b" " * (-len(text) % 3)  # whole pixels: JSON.parse ignores trailing spaces, not NULs
    pixels = text + b"\x00\x00\x00"  # the end: a pixel whose blue byte is 0
    width = len(pixels) // 3
    row = pixels + b"\x00" * (-len(pixels) % 4)  # each BMP row is padded to four bytes
    file_header = struct.pack("<2sIHHI", b"BM", HEADER_SIZE + len(row), 0, 0, HEADER_SIZE)
    info_header = struct.pack("<IiiHHIIiiII", 40, width, 1, 1, 24, 0, len(row), 2835, 2835, 0, 0)
    return file_header + info_header + row
