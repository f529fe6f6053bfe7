// Camera, GPS and signature capture on the device.

// A position fix: {lat, lon, accuracy, at}; lat/lon null when there is no fix.
export function locate(timeoutMs = 15000) {
  return new Promise((resolve) => {
    const at = new Date().toISOString();
    if (!navigator.geolocation) return resolve({ lat: null, lon: null, accuracy: null, at });
    navigator.geolocation.getCurrentPosition(
      (pos) => resolve({ lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy: pos.coords.accuracy, at }),
      () => resolve({ lat: null, lon: null, accuracy: null, at }),
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 30000 },
    );
  });
}

export async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest("SHA-256", buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// Shrink a photo so its long edge is about 1600 px, as JPEG; returns {data, mime, size, sha256}.
export async function compressPhoto(file, longEdge = 1600, quality = 0.82) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, longEdge / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = new OffscreenCanvas(width, height);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const data = await canvas.convertToBlob({ type: "image/jpeg", quality });
  const buffer = await data.arrayBuffer();
  return { data, mime: "image/jpeg", size: buffer.byteLength, sha256: await sha256Hex(buffer), width, height };
}

// Room for more photos? Keep a margin so the outbox itself never runs out of space.
export async function spaceFor(bytes, marginBytes = 25 * 1024 * 1024) {
  if (!navigator.storage || !navigator.storage.estimate) return { ok: true };
  const { usage = 0, quota = 0 } = await navigator.storage.estimate();
  return { ok: quota - usage > bytes + marginBytes, usage, quota };
}

// A signature pad on a canvas; returns {clear(), empty(), toBlob()}.
export function signaturePad(canvas) {
  const ctx = canvas.getContext("2d");
  let drawing = false;
  let strokes = 0;
  ctx.lineWidth = 2.5;
  ctx.lineCap = "round";
  const point = (e) => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height];
  };
  canvas.addEventListener("pointerdown", (e) => {
    drawing = true;
    strokes += 1;
    ctx.beginPath();
    ctx.moveTo(...point(e));
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    ctx.lineTo(...point(e));
    ctx.stroke();
  });
  const stop = () => {
    drawing = false;
  };
  canvas.addEventListener("pointerup", stop);
  canvas.addEventListener("pointerleave", stop);
  return {
    clear() {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      strokes = 0;
    },
    empty: () => strokes === 0,
    async toBlob() {
      const data = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
      const buffer = await data.arrayBuffer();
      return { data, mime: "image/png", size: buffer.byteLength, sha256: await sha256Hex(buffer) };
    },
  };
}
