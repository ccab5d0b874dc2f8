// placeholder: implemented in issue #2 work
