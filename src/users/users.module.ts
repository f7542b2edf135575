import { Global, Module } from '@nestjs/common';
import { UserDirectory } from './user-directory.service';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Global()
@Module({
  controllers: [UsersController],
  providers: [UsersService, UserDirectory],
  exports: [UserDirectory],
})
export class UsersModule {}
