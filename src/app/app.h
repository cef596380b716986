/*
 * app.h - the petrel program's pieces that tests link too.
 */
#ifndef PETREL_APP_APP_H
#define PETREL_APP_APP_H

#endif
