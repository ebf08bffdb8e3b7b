// The renderer side of seed 004 (Electron's remote docs), its code as the
// seed prints it. valence keeps remote in the isolated preload world; the
// page gets buttons through the contextBridge.
const { contextBridge } = require('electron')

// renderer process
const mapNumbers = require('electron').remote.require('./mapNumbers')
const withRendererCb = mapNumbers.withRendererCallback(x => x + 1)
const withLocalCb = mapNumbers.withLocalCallback()

console.log(withRendererCb, withLocalCb)
// [undefined, undefined, undefined], [2, 3, 4]

require('electron').remote.getCurrentWindow().on('close', () => {
  // window was closed...
})

contextBridge.exposeInMainWorld('demo', {
  numbers: () => [withRendererCb, withLocalCb].map(a => '[' + a.map(String).join(', ') + ']').join(', '),
  openWindow: () => {
    const {BrowserWindow} = require('electron').remote
    let win = new BrowserWindow({width: 800, height: 600})
    win.loadURL('data:text/html,<title>opened from the page</title><h1>A window the page opened</h1>')
    return win.id
  },
  sharedProperty: () => require('electron').remote.getGlobal('sharedObject').someProperty,
  setSharedProperty: (value) => { require('electron').remote.getGlobal('sharedObject').someProperty = value },
})
