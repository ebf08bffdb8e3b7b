const { contextBridge, ipcRenderer } = require('electron')

contextBridge.exposeInMainWorld('gallery', {
  apps: () => ipcRenderer.invoke('apps:list'),
  open: (name) => ipcRenderer.invoke('apps:open', name),
  versions: process.versions
})
