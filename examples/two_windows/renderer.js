const name = location.search.slice(1)
document.title = 'Window ' + name
const text = document.getElementById('text')
const log = document.getElementById('log')
const show = (line) => {
  const item = document.createElement('li')
  item.textContent = line
  log.appendChild(item)
  document.title = 'Window ' + name + ': ' + line  // the window's title shows the last one
}

document.getElementById('viaMain').addEventListener('click', () => {
  window.electronAPI.sendToOther(name + ' says ' + text.value)
})
window.electronAPI.onFromOther((message) => show('via main: ' + message))

let port = null
window.addEventListener('message', (event) => {
  if (event.data !== 'other-window-port') return
  port = event.ports[0]
  port.onmessage = (e) => show('direct: ' + e.data)
  document.getElementById('direct').disabled = false
})
document.getElementById('direct').addEventListener('click', () => {
  port.postMessage(name + ' says ' + text.value)
})
