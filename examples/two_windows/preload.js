const { contextBridge, ipcRenderer } = require('electron')

contextBridge.exposeInMainWorld('electronAPI', {
  sendToOther: (text) => ipcRenderer.send('to-other', text),
  onFromOther: (callback) => ipcRenderer.on('from-other', (_event, text) => callback(text))
})

// A port cannot cross the contextBridge; hand it to the page's own scripts
// with window.postMessage, as Electron's MessagePorts guide does.
ipcRenderer.on('port', (event) => {
  window.postMessage('other-window-port', '*', event.ports)
})
