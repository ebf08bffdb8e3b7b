// Probes a hostile page uses to tell whether what it holds is its own:
// isPage(v) and foreign(root, name) (paths of reachable objects of another
// world). Installed by a <script> before anything else of the page runs.
#pragma once

namespace valence::test {

// The page's probes, installed by a <script> before anything else of the
// page runs. Uses only intrinsics captured here: tests tamper with the rest.
inline const char* kProbesJs = R"JS(
(() => {
  const OP = Object.prototype, GPO = Object.getPrototypeOf, RA = Reflect.apply
  const OwnKeys = Reflect.ownKeys, GOPD = Object.getOwnPropertyDescriptor
  const MapCtor = Map, MapSet = Map.prototype.set, MapHas = Map.prototype.has
  const MapSize = Object.getOwnPropertyDescriptor(Map.prototype, 'size').get
  const StringCtor = String
  const FP = Function.prototype
  // An object of this world: its prototype chain ends at this world's
  // Object.prototype. An object whose chain ends elsewhere and that is not a
  // function (Array.prototype[Symbol.unscopables], Object.create(null)) is
  // neutral unless the end is another world's prototype: what it holds
  // decides, and foreign() walks into it.
  function isPage(v) {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return true
    let o = v
    for (let i = 0; i < 10000; i++) {
      const p = GPO(o)
      if (p === null) return o === OP || (typeof v !== 'function' && !hasForeignEnd(o))
      o = p
    }
    return false
  }
  // Another world's Object.prototype: its constructor is a function that is
  // not this world's.
  function hasForeignEnd(o) {
    const d = GOPD(o, 'constructor')
    return d !== undefined && 'value' in d && typeof d.value === 'function' && GPO(d.value) !== FP
  }
  // Paths of the objects reachable from `root` (own properties, accessors,
  // prototypes) that are not this world's. `seen` (a Map) may be shared by
  // several walks.
  function foreign(root, name, seen = new MapCtor()) {
    const bad = []
    const queue = [[root, name]]
    for (let q = 0; q < queue.length && RA(MapSize, seen, []) < 20000; q++) {
      const [v, path] = queue[q]
      if (v === null || (typeof v !== 'object' && typeof v !== 'function')) continue
      if (RA(MapHas, seen, [v])) continue
      RA(MapSet, seen, [v, true])
      if (!isPage(v)) bad[bad.length] = path
      queue[queue.length] = [GPO(v), path + '.__proto__']
      const keys = OwnKeys(v)
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]
        if (v === Function.prototype && (key === 'caller' || key === 'arguments')) continue
        let d
        try { d = GOPD(v, key) } catch { continue }
        if (!d) continue
        const p = path + '.' + StringCtor(typeof key === 'symbol' ? '@@' + key.description : key)
        if ('value' in d) queue[queue.length] = [d.value, p]
        if (d.get) queue[queue.length] = [d.get, p + '<get>']
        if (d.set) queue[queue.length] = [d.set, p + '<set>']
      }
    }
    return bad
  }
  window.probes = { isPage, foreign }
})()
)JS";

}  // namespace valence::test
