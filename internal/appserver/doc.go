// Package appserver runs a web app under hubauth-proxy, as
// jhsingle-native-proxy does for JupyterHub: it fills a free loopback port
// into the app's command line, starts it with the user's environment,
// waits until it answers, reports its exit status, stops it when the hub
// stops the server, and tells the hub the server is in use while requests
// flow (activity reporting, for the idle culler).
package appserver
