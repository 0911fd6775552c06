package demo

// DemoProjects lets the tests count the invented projects.
var DemoProjects = demoProjects
