const versions = window.gallery.versions
document.getElementById('versions').innerText =
  `valence ${versions.valence} · WebKitGTK ${versions.webkitgtk} · GTK ${versions.gtk}`

const body = document.querySelector('#apps tbody')
const status = document.getElementById('status')

const open = async (app) => {
  try {
    const pid = await window.gallery.open(app.name)
    status.textContent = `${app.name} is running (pid ${pid})`
  } catch (e) {
    status.textContent = e.message
  }
}

window.gallery.apps().then((apps) => {
  // Keys 1, 2, ... open the apps too.
  document.addEventListener('keydown', (event) => {
    const n = Number(event.key)
    if (n >= 1 && n <= apps.length) open(apps[n - 1])
  })
  apps.forEach((app, i) => {
    const row = document.createElement('tr')
    for (const [cls, text] of [['key', String(i + 1)], ['name', app.name], ['pattern', /^[0-9]/.test(app.pattern) ? 'pattern ' + app.pattern : app.pattern], ['what', app.what]]) {
      const cell = document.createElement('td')
      cell.className = cls
      cell.textContent = text
      row.appendChild(cell)
    }
    const cell = document.createElement('td')
    const button = document.createElement('button')
    button.textContent = 'Open'
    button.addEventListener('click', () => open(app))
    cell.appendChild(button)
    row.appendChild(cell)
    body.appendChild(row)
  })
})
